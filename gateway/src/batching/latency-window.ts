/** The last `capacity` latencies (ms) and their quantiles: the tail the adaptive controller steers by. */
export class LatencyWindow {
  private readonly samples: Float64Array;
  private next = 0;
  private count = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  get capacity(): number {
    return this.samples.length;
  }

  get size(): number {
    return this.count;
  }

  add(latencyMs: number): void {
    this.samples[this.next] = latencyMs;
    this.next = (this.next + 1) % this.samples.length;
    this.count = Math.min(this.count + 1, this.samples.length);
  }

  /** Nearest-rank quantile (q in (0, 1]); undefined while empty. */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const sorted = this.samples.slice(0, this.count).sort();
    return sorted[Math.min(this.count, Math.max(1, Math.ceil(q * this.count))) - 1];
  }

  clear(): void {
    this.next = 0;
    this.count = 0;
  }
}
