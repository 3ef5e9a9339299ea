// Consecutive-result thresholds (success_before_passing, failures_before_warning,
// failures_before_critical), as Consul's StatusHandler applies them between a runner and the check.

import type { CheckStatus } from './runner.js';

export interface Thresholds {
  successBeforePassing: number;
  /** Defaults to failuresBeforeCritical. */
  failuresBeforeWarning: number;
  failuresBeforeCritical: number;
}

export class StatusHandler {
  // Both counters start at their thresholds, so the first result goes through at once (as Consul's do).
  private successes: number;
  private failures: number;

  constructor(
    private readonly t: Thresholds,
    private readonly report: (status: CheckStatus, output: string) => void,
    private readonly onHeld: (what: 'success' | 'failure', count: number) => void = () => {},
  ) {
    this.successes = t.successBeforePassing;
    this.failures = t.failuresBeforeCritical;
  }

  update(status: CheckStatus, output: string): void {
    // A warning counts as a success, as in Consul: only critical results are failures.
    if (status !== 'critical') {
      this.successes++;
      this.failures = 0;
      if (this.successes >= this.t.successBeforePassing) this.report(status, output);
      else this.onHeld('success', this.successes);
      return;
    }
    this.failures++;
    this.successes = 0;
    if (this.failures >= this.t.failuresBeforeCritical) this.report('critical', output);
    else if (this.failures >= this.t.failuresBeforeWarning) this.report('warning', output);
    else this.onHeld('failure', this.failures);
  }
}
