// A client that talks to a server's RPC port the way Consul's agents do (agent/pool): the
// RPCMultiplexV2 byte, a hashicorp/yamux session, one stream per call, hashicorp's net-rpc-msgpackrpc
// codec over go-msgpack with RawToString. The request and reply types carry Consul's field names
// (embedded structs are flattened, as go-msgpack does). It prints one JSON line per call.
//
//	go run main.go <server-rpc-address>
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"time"

	"github.com/hashicorp/go-msgpack/codec"
	msgpackrpc "github.com/hashicorp/net-rpc-msgpackrpc"
	"github.com/hashicorp/yamux"
)

type QueryOptions struct {
	Token             string
	MinQueryIndex     uint64
	MaxQueryTime      time.Duration
	AllowStale        bool
	RequireConsistent bool
}

type QueryMeta struct {
	Index       uint64
	LastContact time.Duration
	KnownLeader bool
}

type DirEntry struct {
	LockIndex   uint64
	Key         string
	Flags       uint64
	Value       []byte
	Session     string
	CreateIndex uint64
	ModifyIndex uint64
}

type KVSRequest struct {
	Datacenter string
	Op         string
	DirEnt     DirEntry
	Token      string
}

type KeyRequest struct {
	Datacenter string
	Key        string
	QueryOptions
}

type KeyListRequest struct {
	Datacenter string
	Prefix     string
	Seperator  string
	QueryOptions
}

type IndexedDirEntries struct {
	Entries []*DirEntry
	QueryMeta
}

type IndexedKeyList struct {
	Keys []string
	QueryMeta
}

type NodeService struct {
	ID      string
	Service string
	Tags    []string
	Port    int
}

type RegisterRequest struct {
	Datacenter string
	ID         string
	Node       string
	Address    string
	Service    *NodeService
}

type DCSpecificRequest struct {
	Datacenter string
	QueryOptions
}

type Node struct {
	ID      string
	Node    string
	Address string
}

type IndexedNodes struct {
	Nodes []*Node
	QueryMeta
}

type ServiceSpecificRequest struct {
	Datacenter  string
	ServiceName string
	QueryOptions
}

type ServiceNode struct {
	Node        string
	ServiceName string
	ServicePort int
}

type IndexedServiceNodes struct {
	ServiceNodes []*ServiceNode
	QueryMeta
}

type HealthCheck struct {
	CheckID string
	Status  string
}

type CheckServiceNode struct {
	Node    *Node
	Service *NodeService
	Checks  []*HealthCheck
}

type IndexedCheckServiceNodes struct {
	Nodes []CheckServiceNode
	QueryMeta
}

var handle = &codec.MsgpackHandle{RawToString: true}

func main() {
	addr := os.Args[1]
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	must(err)
	_, err = conn.Write([]byte{4}) // pool.RPCMultiplexV2
	must(err)
	session, err := yamux.Client(conn, yamux.DefaultConfig())
	must(err)

	call := func(name string, method string, args interface{}, reply interface{}) {
		stream, err := session.Open()
		must(err)
		defer stream.Close()
		cc := msgpackrpc.NewCodecFromHandle(true, true, stream, handle)
		err = msgpackrpc.CallWithCodec(cc, method, args, reply)
		out := map[string]interface{}{"call": name, "reply": reply}
		if err != nil {
			out["error"] = err.Error()
		}
		b, _ := json.Marshal(out)
		fmt.Println(string(b))
	}

	var ping bool
	call("ping", "Status.Ping", struct{}{}, &ping)
	var leader string
	call("leader", "Status.Leader", struct{}{}, &leader)
	var ok bool
	call("kv-set", "KVS.Apply", &KVSRequest{Op: "set", DirEnt: DirEntry{Key: "rpc/hello", Flags: 42, Value: []byte("world")}}, &ok)
	var ents IndexedDirEntries
	call("kv-get", "KVS.Get", &KeyRequest{Key: "rpc/hello"}, &ents)
	var keys IndexedKeyList
	call("kv-keys", "KVS.ListKeys", &KeyListRequest{Prefix: "rpc/"}, &keys)
	// A blocking read: wakes when another stream's write changes the key.
	done := make(chan IndexedDirEntries)
	go func() {
		var blocked IndexedDirEntries
		stream, err := session.Open()
		must(err)
		defer stream.Close()
		cc := msgpackrpc.NewCodecFromHandle(true, true, stream, handle)
		must(msgpackrpc.CallWithCodec(cc, "KVS.Get", &KeyRequest{Key: "rpc/hello", QueryOptions: QueryOptions{MinQueryIndex: ents.Index, MaxQueryTime: 10 * time.Second}}, &blocked))
		done <- blocked
	}()
	time.Sleep(300 * time.Millisecond)
	var ok2 bool
	call("kv-set-again", "KVS.Apply", &KVSRequest{Op: "set", DirEnt: DirEntry{Key: "rpc/hello", Value: []byte("again")}}, &ok2)
	blocked := <-done
	b, _ := json.Marshal(map[string]interface{}{"call": "kv-blocking-get", "reply": blocked})
	fmt.Println(string(b))
	var casOK bool
	call("kv-cas-stale", "KVS.Apply", &KVSRequest{Op: "cas", DirEnt: DirEntry{Key: "rpc/hello", Value: []byte("x"), ModifyIndex: 1}}, &casOK)
	var none struct{}
	call("register", "Catalog.Register", &RegisterRequest{Node: "ext-node", Address: "192.0.2.7", Service: &NodeService{ID: "ext1", Service: "ext", Tags: []string{"v1"}, Port: 1234}}, &none)
	var nodes IndexedNodes
	call("nodes", "Catalog.ListNodes", &DCSpecificRequest{}, &nodes)
	var sn IndexedServiceNodes
	call("service-nodes", "Catalog.ServiceNodes", &ServiceSpecificRequest{ServiceName: "ext"}, &sn)
	var hn IndexedCheckServiceNodes
	call("health-service", "Health.ServiceNodes", &ServiceSpecificRequest{ServiceName: "ext"}, &hn)
	var nothing bool
	call("unknown", "Nope.Nothing", struct{}{}, &nothing)
	var wrongDC IndexedNodes
	call("wrong-dc", "Catalog.ListNodes", &DCSpecificRequest{Datacenter: "nowhere"}, &wrongDC)
	_ = rpc.ErrShutdown
	session.Close()
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
