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
  /** Mean time between calls ending while others waited: 1 / throughput when saturated. */
  private departureMs: number | undefined;
  private departedAt: number | undefined;
  /** Whether requests waited when the previous call ended: the backend stayed busy since. */
  private busySinceDeparture = false;
  private departureObservedAt = 0;

  observe(durationMs: number, now: number): void {
    const ms = Math.max(0, durationMs);
    this.meanMs = this.meanMs === undefined ? ms : this.meanMs + ALPHA * (ms - this.meanMs);
    this.observedAt = now;
  }

  /**
   * A call ended at `now`; `othersWaiting`: requests were queued. When they were at the previous
   * end too, the backend stayed saturated in between and the time since is its real pace,
   * whatever `slots` says (one model instance behind four slots ends calls one at a time); an
   * interval that began with nobody waiting includes idle time and says nothing.
   */
  observeDeparture(now: number, othersWaiting: boolean): void {
    if (othersWaiting && this.busySinceDeparture && this.departedAt !== undefined) {
      const ms = now - this.departedAt;
      this.departureMs =
        this.departureMs === undefined ? ms : this.departureMs + ALPHA * (ms - this.departureMs);
      this.departureObservedAt = now;
    }
    this.departedAt = now;
    this.busySinceDeparture = othersWaiting;
  }

  /**
   * The wait for a slot of a request with `ahead` queued before it while every slot is busy: the
   * measured pace of departures when there is a fresh one, else `waitMs` from the service time.
   */
  waitAt(now: number, ahead: number, slots: number): number | undefined {
    const serviceMs = this.serviceMs(now);
    if (serviceMs === undefined) return undefined;
    const fresh = now - this.departureObservedAt <= Math.max(STALE_AFTER_MS, 10 * serviceMs);
    if (this.departureMs !== undefined && fresh) return (ahead + 1) * this.departureMs;
    return ServiceTimeEstimate.waitMs(serviceMs, ahead, slots);
  }

  /** The estimate, or undefined when there is none worth trusting at `now`. */
  serviceMs(now: number): number | undefined {
    if (this.meanMs === undefined) return undefined;
    if (now - this.observedAt > Math.max(STALE_AFTER_MS, 10 * this.meanMs)) return undefined;
    return this.meanMs;
  }

  /**
   * Time from now until a request with `ahead` requests queued before it gets a slot, while every
   * one of `slots` backend slots is busy: slots free up about every `service / slots`, it needs
   * `ahead + 1` of them.
   */
  static waitMs(serviceMs: number, ahead: number, slots: number): number {
    return ((ahead + 1) * serviceMs) / slots;
  }
}
