/** Weight of the newest observation: about the last ten requests shape the estimate. */
const ALPHA = 0.2;
/** An estimate no request has confirmed for this long (or ten service times) is not trusted. */
const STALE_AFTER_MS = 10_000;

/**
 * How long one model version takes per request as admission sees it (from leaving the queue to the
 * backend's answer, at the concurrency it runs at): an exponentially weighted moving average.
 *
 * Used to refuse requests whose deadline cannot be met. If the estimate were trusted forever, a
 * model that was slow once and then only got short-deadline callers would refuse them all and never
 * learn it got faster; so an estimate older than STALE_AFTER_MS is set aside and the next request
 * goes through as a probe.
 */
export class ServiceTimeEstimate {
  private meanMs: number | undefined;
  private observedAt = 0;

  observe(durationMs: number, now: number): void {
    const ms = Math.max(0, durationMs);
    this.meanMs = this.meanMs === undefined ? ms : this.meanMs + ALPHA * (ms - this.meanMs);
    this.observedAt = now;
  }

  /** The estimate, or undefined when there is none worth trusting at `now`. */
  serviceMs(now: number): number | undefined {
    if (this.meanMs === undefined) return undefined;
    if (now - this.observedAt > Math.max(STALE_AFTER_MS, 10 * this.meanMs)) return undefined;
    return this.meanMs;
  }

  /**
   * Time from now until a request with `ahead` requests queued before it gets its answer, while
   * every one of `slots` backend slots is busy: slots free up about every `service / slots`, it
   * needs `ahead + 1` of them, then its own service time.
   */
  static neededMs(serviceMs: number, ahead: number, slots: number): number {
    return ServiceTimeEstimate.waitMs(serviceMs, ahead, slots) + serviceMs;
  }

  /** The wait for a slot alone, in the same situation as `neededMs`. */
  static waitMs(serviceMs: number, ahead: number, slots: number): number {
    return ((ahead + 1) * serviceMs) / slots;
  }
}
