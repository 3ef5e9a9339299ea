// Clock port: the only source of time outside src/platform/node/.

export interface Clock {
  /** Monotonic milliseconds (may be fractional) from an arbitrary origin; never goes backwards. */
  monotonicMs(): number;
  /** Wall-clock milliseconds since the Unix epoch. */
  wallMs(): number;
}
