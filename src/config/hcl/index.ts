// HCL version 1, the syntax of Consul's .hcl config files: parseHcl gives exactly the value
// hashicorp/hcl v1 produces when decoding a file into map[string]interface{} (its JSON form: blocks
// are lists of maps, labels nest, repeated blocks append). On purpose we differ from it in two ways:
// integers are int64 (a number when safe, else a bigint; beyond int64 is an error) where the Go
// package's int may be 32-bit, and every error — syntax or decode — carries a 1-based line and column
// ("At 3:5: illegal char"); hcl panics on a few bad escapes, we report them.

import { decodeTree, type HclValue } from './decode.js';
import { HclFail, parseTree } from './parser.js';

export type { HclValue } from './decode.js';

export interface HclError {
  message: string;
  line: number;
  column: number;
}

type HclResult = { ok: true; value: { [key: string]: HclValue } } | { ok: false; error: HclError };

function failure(f: HclFail): HclResult {
  return { ok: false, error: { message: f.message, line: f.line, column: f.column } };
}

/** Go's unicode.IsSpace. */
function isUnicodeSpace(cp: number): boolean {
  return (
    (cp >= 0x09 && cp <= 0x0d) ||
    cp === 0x20 ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

/** hcl reads a file whose first non-space character is '{' as JSON. */
function looksLikeJson(src: string): boolean {
  for (const ch of src) {
    const cp = ch.codePointAt(0) as number;
    if (isUnicodeSpace(cp)) continue;
    return cp === 0x7b;
  }
  return false;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function parseHcl(
  src: string,
): { ok: true; value: { [key: string]: HclValue } } | { ok: false; error: HclError } {
  // A lone surrogate cannot be UTF-8; Go would see U+FFFD in its place.
  const text = src.replace(LONE_SURROGATE, '\ufffd');
  try {
    if (looksLikeJson(text)) {
      return failure(new HclFail('JSON content in an HCL file is not supported; use a .json file', 1, 1));
    }
    const tree = parseTree(text);
    if (tree instanceof HclFail) return failure(tree);
    return { ok: true, value: decodeTree(tree) };
  } catch (e) {
    if (e instanceof HclFail) return failure(e);
    // Pathological nesting that slipped past the parser's limit.
    if (e instanceof RangeError) return failure(new HclFail('input nested too deeply', 1, 1));
    throw e;
  }
}
