// Response bodies as Consul writes them: compact JSON, or with `?pretty` (and always in -dev) indented
// by 4 spaces plus a trailing newline. uint64 values held as bigint are written as exact JSON numbers.

const MARK = '\u0000u64:';

export function encodeJson(v: unknown, pretty: boolean): string {
  // Fast path: most bodies hold no bigint, and a replacer function makes JSON.stringify several times
  // slower (it is on the path of every blocking-query answer). A bigint makes it throw a TypeError.
  try {
    return pretty ? `${JSON.stringify(v, null, 4)}\n` : JSON.stringify(v);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
  }
  let sawBig = false;
  const replacer = (_k: string, x: unknown) => {
    if (typeof x !== 'bigint') return x;
    sawBig = true;
    return `${MARK}${x.toString()}`;
  };
  let s = pretty ? `${JSON.stringify(v, replacer, 4)}\n` : JSON.stringify(v, replacer);
  if (sawBig) s = s.replace(/"\\u0000u64:(-?\d+)"/g, '$1');
  return s;
}
