// Invariant checks: a broken invariant is a bug, so it throws and crashes loudly (DESIGN.md principle 5).

export class InvariantError extends Error {
  override name = 'InvariantError';
}

export function assert(cond: unknown, msg = 'assertion failed'): asserts cond {
  if (!cond) throw new InvariantError(msg);
}

export function unreachable(x: never, msg = 'unreachable'): never {
  throw new InvariantError(`${msg}: ${String(x)}`);
}
