// Syntax tree → value, with the rules hashicorp/hcl v1 follows when it decodes into an empty
// interface (what Consul's config loader does), learned from it and proven against it in tests:
// - the file is a map; inside a map, a block or `k = { }` is a list of maps, and inside a list it is a map;
// - `k "l1" "l2" { }` gathers every item whose first key is `k` (compared case-insensitively), nests
//   the labels the same way, and is decoded once per distinct key;
// - a repeated key decodes into the value already there: lists and lists of maps append, maps merge,
//   and a scalar is converted to the earlier value's type (a string takes a number's text, a bool
//   takes "1"/"0", an int takes a numeric string) or the decode fails.

import { goTypeName, nodePos, type LiteralType, type Node, type ObjectItem, type ObjectList } from './ast.js';
import { parseGoFloat, parseGoInt, stringValue } from './literal.js';
import { HclFail } from './parser.js';

export type HclValue = string | number | bigint | boolean | HclValue[] | { [key: string]: HclValue };

/** A decoded value with its Go type, which decides how a repeated key merges into it. */
type GoValue =
  | { t: 'bool'; v: boolean }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'string'; v: string }
  | { t: 'map'; m: GoMap } // map[string]interface{}
  | { t: 'maps'; items: GoMap[] } // []map[string]interface{}
  | { t: 'list'; items: GoValue[] }; // []interface{}
type GoMap = Map<string, GoValue>;

/** What the innermost decode that was not into an empty interface was filling. */
type Within = 'root' | 'map' | 'slice';

function failAtNode(node: Node, text: string, fallback?: { line: number; column: number }): HclFail {
  const pos = nodePos(node) ?? fallback ?? { line: 1, column: 1 };
  return new HclFail(text, pos.line, pos.column);
}

function keyValue(item: ObjectItem): string {
  const key = item.keys[0];
  if (key === undefined) throw new Error('keyValue on an item without keys');
  return key.token.type === 'STRING' ? stringValue(key.token) : key.token.text;
}

/**
 * The items of a list grouped by first key, for hcl's ObjectList.Filter: the items whose first key
 * equals `key` ignoring case (hcl's strings.EqualFold, here: equal lower- or upper-cased), with that
 * key taken off. Built once per list so that many labelled blocks do not rescan it each time.
 */
class FirstKeyIndex {
  private readonly byLower = new Map<string, number[]>();
  private readonly byUpper = new Map<string, number[]>();

  constructor(private readonly list: ObjectList) {
    list.items.forEach((item, i) => {
      if (item.keys.length < 1) return;
      const key = keyValue(item);
      addTo(this.byLower, key.toLowerCase(), i);
      addTo(this.byUpper, key.toUpperCase(), i);
    });
  }

  filter(key: string): ObjectList {
    const a = this.byLower.get(key.toLowerCase()) ?? [];
    const b = this.byUpper.get(key.toUpperCase()) ?? [];
    const items: ObjectItem[] = [];
    // Both index lists are ascending; merge them, keeping source order and dropping duplicates.
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      const x = a[i] ?? Infinity;
      const y = b[j] ?? Infinity;
      const at = Math.min(x, y);
      if (x === at) i++;
      if (y === at) j++;
      const item = this.list.items[at] as ObjectItem;
      items.push({ ...item, keys: item.keys.slice(1) });
    }
    return { kind: 'list', items };
  }
}

function addTo(m: Map<string, number[]>, key: string, i: number): void {
  const list = m.get(key);
  if (list === undefined) m.set(key, [i]);
  else list.push(i);
}

/** Decodes `node` into an empty-interface slot that holds `current` (or nothing yet). */
function decodeInterface(name: string, node: Node, current: GoValue | undefined, within: Within): GoValue {
  let cur = current;
  if (cur === undefined) {
    switch (node.kind) {
      case 'object':
      case 'list':
        cur = within === 'map' ? { t: 'maps', items: [] } : { t: 'map', m: new Map() };
        break;
      case 'array':
        cur = { t: 'list', items: [] };
        break;
      case 'literal':
        cur = zeroOf(node);
        break;
      case 'item':
        throw failAtNode(node, `${name}: cannot decode into interface: ${goTypeName(node)}`);
    }
  }
  switch (cur.t) {
    case 'bool':
      return { t: 'bool', v: decodeBool(name, node) };
    case 'float':
      return { t: 'float', v: decodeFloat(name, node) };
    case 'int':
      return { t: 'int', v: decodeInt(name, node) };
    case 'string':
      return { t: 'string', v: decodeString(name, node) };
    case 'map':
      decodeMap(name, node, cur.m);
      return cur;
    case 'maps':
      for (const [i, item] of sliceItems(node).entries()) {
        const m: GoMap = new Map();
        decodeMap(`${name}[${i}]`, item, m);
        cur.items.push(m);
      }
      return cur;
    case 'list':
      for (const [i, item] of sliceItems(node).entries()) {
        cur.items.push(decodeInterface(`${name}[${i}]`, item, undefined, 'slice'));
      }
      return cur;
  }
}

function zeroOf(node: LiteralType): GoValue {
  switch (node.token.type) {
    case 'BOOL':
      return { t: 'bool', v: false };
    case 'FLOAT':
      return { t: 'float', v: 0 };
    case 'NUMBER':
      return { t: 'int', v: 0n };
    default:
      return { t: 'string', v: '' };
  }
}

function sliceItems(node: Node): Node[] {
  switch (node.kind) {
    case 'list':
      return node.items;
    case 'object':
      return [node];
    case 'array':
      return node.elems;
    default:
      throw failAtNode(node, `unknown slice type: ${goTypeName(node)}`);
  }
}

function decodeMap(name: string, node: Node, into: GoMap): void {
  let list: ObjectList;
  if (node.kind === 'item') list = { kind: 'list', items: [node] };
  else if (node.kind === 'object') list = node.list;
  else if (node.kind === 'list') list = node;
  else throw failAtNode(node, `${name}: not an object type for map (${goTypeName(node)})`);
  const done = new Set<string>();
  let index: FirstKeyIndex | undefined;
  for (const item of list.items) {
    if (item.keys.length === 0) throw failAtNode(list, `${name}: map must have string keys`, item);
    const key = keyValue(item);
    if (done.has(key)) continue;
    let val: Node = item.val;
    if (item.keys.length > 1) {
      index ??= new FirstKeyIndex(list);
      val = index.filter(key);
      done.add(key);
    }
    into.set(key, decodeInterface(`${name}.${key}`, val, into.get(key), 'map'));
  }
}

function literalOf(node: Node, types: readonly string[]): LiteralType | undefined {
  return node.kind === 'literal' && types.includes(node.token.type) ? node : undefined;
}

function decodeBool(name: string, node: Node): boolean {
  const lit = literalOf(node, ['BOOL', 'STRING', 'NUMBER']);
  if (lit === undefined) throw failAtNode(node, `${name}: unknown type ${goTypeName(node)}`);
  const s = lit.token.text.replaceAll('"', '').toLowerCase();
  if (s === '1' || s === 'true') return true;
  if (s === '0' || s === 'false') return false;
  throw failAtNode(node, `decodeBool: Unknown value for boolean: ${lit.token.text}`);
}

function decodeFloat(name: string, node: Node): number {
  const lit = literalOf(node, ['FLOAT', 'NUMBER']);
  if (lit === undefined) throw failAtNode(node, `${name}: unknown type ${goTypeName(node)}`);
  const v = parseGoFloat(lit.token.text);
  if (typeof v === 'string') throw failAtNode(node, v);
  return v;
}

function decodeInt(name: string, node: Node): bigint {
  const lit = literalOf(node, ['NUMBER', 'STRING']);
  if (lit === undefined) throw failAtNode(node, `${name}: unknown type ${goTypeName(node)}`);
  const text = lit.token.type === 'STRING' ? stringValue(lit.token) : lit.token.text;
  const v = parseGoInt(text);
  if (typeof v === 'string') throw failAtNode(node, v);
  return v;
}

function decodeString(name: string, node: Node): string {
  if (node.kind === 'literal') {
    const t = node.token;
    if (t.type === 'NUMBER' || t.type === 'FLOAT' || t.type === 'BOOL') return t.text;
    if (t.type === 'STRING' || t.type === 'HEREDOC') return stringValue(t);
  }
  throw failAtNode(node, `${name}: unknown type for string ${goTypeName(node)}`);
}

function setKey(obj: { [key: string]: HclValue }, key: string, value: HclValue): void {
  // A plain assignment to "__proto__" would replace the prototype instead of adding a key.
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function mapToJs(m: GoMap): { [key: string]: HclValue } {
  const out: { [key: string]: HclValue } = {};
  // Sorted like Go's encoding/json writes map keys.
  for (const key of [...m.keys()].sort()) setKey(out, key, toJs(m.get(key) as GoValue));
  return out;
}

function toJs(v: GoValue): HclValue {
  switch (v.t) {
    case 'bool':
    case 'float':
    case 'string':
      return v.v;
    case 'int':
      return v.v >= BigInt(Number.MIN_SAFE_INTEGER) && v.v <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(v.v)
        : v.v;
    case 'map':
      return mapToJs(v.m);
    case 'maps':
      return v.items.map(mapToJs);
    case 'list':
      return v.items.map(toJs);
  }
}

/** Decodes the root object list into a map, as hcl.Unmarshal into an interface{} does. */
export function decodeTree(root: ObjectList): { [key: string]: HclValue } {
  const top = decodeInterface('root', root, undefined, 'root');
  if (top.t !== 'map') throw new Error('hcl root decoded to a non-map');
  return mapToJs(top.m);
}
