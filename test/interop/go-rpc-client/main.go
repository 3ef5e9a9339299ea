// A client that talks to a server's RPC port the way Consul's agents do (agent/pool): the
// RPCMultiplexV2 byte, a hashicorp/yamux session, one stream per call, hashicorp's net-rpc-msgpackrpc
// codec over go-msgpack with RawToString. The request and reply types carry Consul's field names
// (embedded structs are flattened, as go-msgpack does). It prints one JSON line per call.
//
//	go run main.go <server-rpc-address> <server-node-name>
package main

import (
	"encoding/json"
	"fmt"
	"io"
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

type Session struct {
	ID          string
	Name        string
	Node        string
	LockDelay   time.Duration
	Behavior    string
	TTL         string
	NodeChecks  []string
	CreateIndex uint64
	ModifyIndex uint64
}

type SessionRequest struct {
	Datacenter string
	Op         string
	Session    Session
	Token      string
}

type SessionSpecificRequest struct {
	Datacenter string
	SessionID  string
	QueryOptions
}

type NodeSpecificRequest struct {
	Datacenter string
	Node       string
	QueryOptions
}

type IndexedSessions struct {
	Sessions []*Session
	QueryMeta
}

type TxnKVOp struct {
	Verb   string
	DirEnt DirEntry
}

type TxnOp struct {
	KV *TxnKVOp
}

type TxnRequest struct {
	Datacenter string
	Ops        []*TxnOp
	Token      string
}

type TxnReadRequest struct {
	Datacenter string
	Ops        []*TxnOp
	QueryOptions
}

type TxnResult struct {
	KV *DirEntry
}

type TxnError struct {
	OpIndex int
	What    string
}

type TxnResponse struct {
	Results []*TxnResult
	Errors  []*TxnError
}

type TxnReadResponse struct {
	TxnResponse
	QueryMeta
}

type Coordinate struct {
	Vec        []float64
	Error      float64
	Adjustment float64
	Height     float64
}

type CoordinateUpdateRequest struct {
	Datacenter string
	Node       string
	Segment    string
	Coord      *Coordinate
	Token      string
}

type CoordinateEntry struct {
	Node    string
	Segment string
	Coord   *Coordinate
}

type IndexedCoordinates struct {
	Coordinates []*CoordinateEntry
	QueryMeta
}

type RaftServer struct {
	ID              string
	Node            string
	Address         string
	Leader          bool
	ProtocolVersion string
	Voter           bool
}

type RaftConfigurationResponse struct {
	Servers []*RaftServer
	Index   uint64
}

type AutopilotConfig struct {
	CleanupDeadServers      bool
	LastContactThreshold    time.Duration
	MaxTrailingLogs         uint64
	ServerStabilizationTime time.Duration
}

type NodeInfo struct {
	ID       string
	Node     string
	Address  string
	Meta     map[string]string
	Services []*NodeService
	Checks   []*HealthCheck
}

type IndexedNodeDump struct {
	Dump []*NodeInfo
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
	// Sessions: create one on the server's own node, read it every way, lock a key with it, renew, destroy.
	node := os.Args[2]
	var sid string
	call("session-create", "Session.Apply", &SessionRequest{Op: "create", Session: Session{Name: "rpc-lock", Node: node, LockDelay: 5 * time.Second, Behavior: "release", TTL: "30s"}}, &sid)
	var sget IndexedSessions
	call("session-get", "Session.Get", &SessionSpecificRequest{SessionID: sid}, &sget)
	var slist IndexedSessions
	call("session-list", "Session.List", &DCSpecificRequest{}, &slist)
	var snode IndexedSessions
	call("session-node", "Session.NodeSessions", &NodeSpecificRequest{Node: node}, &snode)
	var locked bool
	call("kv-lock", "KVS.Apply", &KVSRequest{Op: "lock", DirEnt: DirEntry{Key: "rpc/lock", Value: []byte("held"), Session: sid}}, &locked)
	var renewed IndexedSessions
	call("session-renew", "Session.Renew", &SessionSpecificRequest{SessionID: sid}, &renewed)
	var gone string
	call("session-destroy", "Session.Apply", &SessionRequest{Op: "destroy", Session: Session{ID: sid}}, &gone)
	var after IndexedSessions
	call("session-get-destroyed", "Session.Get", &SessionSpecificRequest{SessionID: sid}, &after)

	// Transactions: a write and a read in one, a failing check-and-set, a read-only one.
	var tx TxnResponse
	call("txn-apply", "Txn.Apply", &TxnRequest{Ops: []*TxnOp{
		{KV: &TxnKVOp{Verb: "set", DirEnt: DirEntry{Key: "txn/a", Value: []byte("one"), Flags: 7}}},
		{KV: &TxnKVOp{Verb: "get", DirEnt: DirEntry{Key: "rpc/hello"}}},
	}}, &tx)
	var txFail TxnResponse
	call("txn-cas-fail", "Txn.Apply", &TxnRequest{Ops: []*TxnOp{
		{KV: &TxnKVOp{Verb: "cas", DirEnt: DirEntry{Key: "txn/a", Value: []byte("two"), ModifyIndex: 1}}},
	}}, &txFail)
	var txRead TxnReadResponse
	call("txn-read", "Txn.Read", &TxnReadRequest{Ops: []*TxnOp{
		{KV: &TxnKVOp{Verb: "get", DirEnt: DirEntry{Key: "txn/a"}}},
	}, QueryOptions: QueryOptions{AllowStale: true}}, &txRead)

	// Coordinates: an update for the server's node, then read back as a list and for that node.
	var none2 struct{}
	call("coord-update", "Coordinate.Update", &CoordinateUpdateRequest{Node: node, Coord: &Coordinate{Vec: []float64{0.5, -0.25, 0, 0, 0, 0, 0, 0.125}, Error: 1.5, Adjustment: -0.001, Height: 0.00001}}, &none2)
	var coords IndexedCoordinates
	call("coord-nodes", "Coordinate.ListNodes", &DCSpecificRequest{}, &coords)
	var coord IndexedCoordinates
	call("coord-node", "Coordinate.Node", &NodeSpecificRequest{Node: node}, &coord)

	// Operator: the Raft configuration and autopilot's settings.
	var raftConf RaftConfigurationResponse
	call("raft-configuration", "Operator.RaftGetConfiguration", &DCSpecificRequest{}, &raftConf)
	var ap AutopilotConfig
	call("autopilot", "Operator.AutopilotGetConfiguration", &DCSpecificRequest{}, &ap)
	var noPeer struct{}
	call("remove-unknown-peer", "Operator.RaftRemovePeerByID", &struct {
		Datacenter string
		ID         string
	}{ID: "00000000-0000-0000-0000-00000000dead"}, &noPeer)

	// Internal: the node dump and one node's info, with the service registered above.
	var nodeDump IndexedNodeDump
	call("node-dump", "Internal.NodeDump", &DCSpecificRequest{}, &nodeDump)
	var nodeInfo IndexedNodeDump
	call("node-info", "Internal.NodeInfo", &NodeSpecificRequest{Node: "ext-node"}, &nodeInfo)

	// Snapshot RPC (its own connection, first byte 5): save with a marker key set, change the key,
	// restore the saved archive, and the key reads as it was.
	var mark bool
	call("snap-mark", "KVS.Apply", &KVSRequest{Op: "set", DirEnt: DirEntry{Key: "snap/marker", Value: []byte("before")}}, &mark)
	saveResp, archive, err := snapshotRPC(addr, 0, nil)
	report("snapshot-save", map[string]interface{}{"resp": saveResp, "size": len(archive), "gzip": len(archive) > 2 && archive[0] == 0x1f && archive[1] == 0x8b}, err)
	call("snap-change", "KVS.Apply", &KVSRequest{Op: "set", DirEnt: DirEntry{Key: "snap/marker", Value: []byte("after")}}, &mark)
	restoreResp, extra, err := snapshotRPC(addr, 1, archive)
	report("snapshot-restore", map[string]interface{}{"resp": restoreResp, "extra": len(extra)}, err)
	var marker IndexedDirEntries
	call("snap-marker", "KVS.Get", &KeyRequest{Key: "snap/marker"}, &marker)
	badResp, _, err := snapshotRPC(addr, 1, []byte("not an archive"))
	report("snapshot-restore-garbage", badResp, err)

	var nothing bool
	call("unknown", "Nope.Nothing", struct{}{}, &nothing)
	var wrongDC IndexedNodes
	call("wrong-dc", "Catalog.ListNodes", &DCSpecificRequest{Datacenter: "nowhere"}, &wrongDC)
	_ = rpc.ErrShutdown
	session.Close()
}

type SnapshotRequest struct {
	Datacenter string
	Token      string
	AllowStale bool
	Op         int
}

type SnapshotResponse struct {
	Error string
	QueryMeta
}

// snapshotRPC is Consul's pool.SnapshotRPC: the byte, the request, the archive for a restore, a
// half-close, then the response header and whatever follows it.
func snapshotRPC(addr string, op int, in []byte) (SnapshotResponse, []byte, error) {
	var resp SnapshotResponse
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return resp, nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write([]byte{5}); err != nil {
		return resp, nil, err
	}
	if err := codec.NewEncoder(conn, handle).Encode(&SnapshotRequest{Op: op}); err != nil {
		return resp, nil, err
	}
	if in != nil {
		if _, err := conn.Write(in); err != nil {
			return resp, nil, err
		}
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		return resp, nil, err
	}
	if err := codec.NewDecoder(conn, handle).Decode(&resp); err != nil {
		return resp, nil, err
	}
	rest, err := io.ReadAll(conn)
	return resp, rest, err
}

func report(name string, reply interface{}, err error) {
	out := map[string]interface{}{"call": name, "reply": reply}
	if err != nil {
		out["error"] = err.Error()
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
