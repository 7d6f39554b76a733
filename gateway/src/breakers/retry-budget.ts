export interface RetryBudgetSettings {
  /** Retries may add this share (percent) of the requests in the window... */
  percent: number;
  /** ...plus this many per second of the window, so that light traffic can retry at all. */
  minPerSecond: number;
  /** Sliding window the counts are taken over (ten buckets). */
  windowMs: number;
}

interface Bucket {
  start: number;
  requests: number;
  retries: number;
}

const BUCKETS = 10;

/**
 * A retry budget in the manner of Finagle's RetryBudget and Envoy's retry_budget: retries stay a
 * bounded share of the traffic, so a sick backend cannot make every request count twice and turn
 * an outage into an overload. Over the sliding window, retries may number at most
 * `percent`% of the requests plus `minPerSecond` per second of the window.
 */
export class RetryBudget {
  private readonly bucketMs: number;
  private readonly buckets: Bucket[] = [];

  constructor(
    private readonly settings: RetryBudgetSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.bucketMs = Math.max(1, Math.floor(settings.windowMs / BUCKETS));
  }

  /** Counts a request (not a retry) toward the budget. */
  recordRequest(): void {
    this.bucket().requests += 1;
  }

  /** Whether one more retry fits the budget now; a `true` counts it as spent. */
  tryRetry(): boolean {
    const current = this.bucket();
    let requests = 0;
    let retries = 0;
    for (const bucket of this.buckets) {
      requests += bucket.requests;
      retries += bucket.retries;
    }
    const allowance =
      (this.settings.percent / 100) * requests +
      (this.settings.minPerSecond * this.settings.windowMs) / 1000;
    if (retries + 1 > allowance) return false;
    current.retries += 1;
    return true;
  }

  /** The bucket of now, after dropping those that left the window. */
  private bucket(): Bucket {
    const now = this.now();
    const start = now - (now % this.bucketMs);
    const windowStart = start - (BUCKETS - 1) * this.bucketMs;
    while (this.buckets.length > 0 && this.buckets[0].start < windowStart) this.buckets.shift();
    const last = this.buckets[this.buckets.length - 1];
    // `>=`: a clock stepped back keeps counting into the newest bucket.
    if (last !== undefined && last.start >= start) return last;
    const fresh: Bucket = { start, requests: 0, retries: 0 };
    this.buckets.push(fresh);
    return fresh;
  }
}

/** At most 10% extra load over 10 s, plus 3 retries a second for light traffic. */
export const DEFAULT_RETRY_BUDGET: RetryBudgetSettings = {
  percent: 10,
  minPerSecond: 3,
  windowMs: 10_000,
};
