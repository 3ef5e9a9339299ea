// Test helper: runs hashicorp/hcl v1 (the GopherJS build in the `js-hcl-parser` devDependency) and
// compares its outcome with parseHcl's. Never imported by src/.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { parseHcl } from '../../../../src/config/hcl/index.js';

type HclResult = ReturnType<typeof parseHcl>;

const hcl = createRequire(import.meta.url)('js-hcl-parser') as { parse(s: string): string };

export type OracleOutcome =
  | { ok: true; value: unknown }
  | { ok: false; message: string; line?: number; column?: number }
  | { ok: false; panic: string };

/** hcl.Unmarshal into interface{} then json.MarshalIndent, as the package does it. */
export function oracle(src: string): OracleOutcome {
  let out: string;
  try {
    out = hcl.parse(src);
  } catch (e) {
    return { ok: false, panic: String(e instanceof Error ? e.message : e) };
  }
  const prefix = 'unable to parse JSON: ';
  if (!out.startsWith(prefix)) return { ok: true, value: JSON.parse(out) };
  const message = out.slice(prefix.length);
  const m = /^At (\d+):(\d+): /.exec(message);
  return m ? { ok: false, message, line: Number(m[1]), column: Number(m[2]) } : { ok: false, message };
}

/** Inputs hcl would read as JSON (first non-space character '{'); parseHcl refuses those. */
export function isJsonMode(src: string): boolean {
  return /^[\s\u0085\u00a0]*\{/u.test(src);
}

/**
 * The oracle is a 32-bit Go build: an integer between 2^31 and int64's range fails there and
 * decodes in parseHcl (on purpose). Such inputs cannot be compared.
 */
export function oracleInt32Limit(o: OracleOutcome): boolean {
  if (o.ok || !('message' in o)) return false;
  const m = /strconv\.ParseInt: parsing "(.*)": value out of range/.exec(o.message);
  if (!m) return false;
  const text = m[1] as string;
  const sign = text.startsWith('-') ? -1n : 1n;
  const body = text.replace(/^[-+]/, '');
  let v: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) v = BigInt(body);
  else if (/^0[0-7]+$/.test(body)) v = BigInt('0o' + body.slice(1));
  else if (/^[1-9][0-9]*$/.test(body)) v = BigInt(body);
  else return false;
  v *= sign;
  return v >= -(1n << 63n) && v < 1n << 63n;
}

function show(r: HclResult): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** Asserts parseHcl agrees with hcl on `src`: the same value, or an error at the same place. */
export function assertSameAsOracle(src: string): void {
  const got = parseHcl(src);
  const want = oracle(src);
  const where = `input ${JSON.stringify(src)}: ours ${show(got)}, oracle ${JSON.stringify(want)}`;
  if (want.ok) {
    assert.ok(got.ok, where);
    assert.deepStrictEqual(got.value, want.value, where);
    return;
  }
  assert.ok(!got.ok, where);
  if ('panic' in want) return; // hcl panics (a bad escape); we report an error instead.
  if (want.line !== undefined) {
    assert.equal(got.error.message, want.message, where);
    assert.equal(got.error.line, want.line, where);
    assert.equal(got.error.column, want.column, where);
  } else {
    // hcl gives no position for some decode errors; we add one in front of the same text.
    const text = want.message.replace(/^At -: /, '');
    assert.match(got.error.message, /^At \d+:\d+: /, where);
    assert.equal(got.error.message.replace(/^At \d+:\d+: /, ''), text, where);
  }
}
