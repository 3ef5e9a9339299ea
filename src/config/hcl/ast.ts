// The HCL1 syntax tree, shaped like hashicorp/hcl v1's: the decoder's rules (blocks become lists of
// maps, labels nest, repeated keys merge) are defined over these node kinds, so they are kept distinct.

import type { Token } from './scanner.js';

export interface ObjectKey {
  token: Token; // IDENT or STRING
}

export interface ObjectItem {
  kind: 'item';
  keys: ObjectKey[];
  val: Node;
  /** Where the item began, kept when keys are stripped off (for decode errors). */
  line: number;
  column: number;
}

export interface ObjectList {
  kind: 'list';
  items: ObjectItem[];
}

export interface ObjectType {
  kind: 'object';
  list: ObjectList;
  line: number;
  column: number;
}

export interface ListType {
  kind: 'array';
  elems: Node[];
  line: number;
  column: number;
}

export interface LiteralType {
  kind: 'literal';
  token: Token; // NUMBER, FLOAT, BOOL, STRING or HEREDOC
}

export type Node = ObjectItem | ObjectList | ObjectType | ListType | LiteralType;

/** The Go type name hcl puts in its decode errors. */
export function goTypeName(n: Node): string {
  switch (n.kind) {
    case 'item':
      return '*ast.ObjectItem';
    case 'list':
      return '*ast.ObjectList';
    case 'object':
      return '*ast.ObjectType';
    case 'array':
      return '*ast.ListType';
    case 'literal':
      return '*ast.LiteralType';
  }
}

/** Where a node starts (hcl's Pos()). */
export function nodePos(n: Node): { line: number; column: number } | undefined {
  switch (n.kind) {
    case 'item': {
      // hcl has no position for an item whose keys were all taken off; where it began is the best guess.
      const k = n.keys[0];
      return k === undefined
        ? { line: n.line, column: n.column }
        : { line: k.token.line, column: k.token.column };
    }
    case 'list': {
      const first = n.items[0];
      return first === undefined ? undefined : nodePos(first);
    }
    case 'literal':
      return { line: n.token.line, column: n.token.column };
    default:
      return { line: n.line, column: n.column };
  }
}
