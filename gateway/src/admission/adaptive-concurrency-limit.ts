/**
 * Latency the limit accepts over the unloaded latency before it calls the backend congested: the
 * price of keeping every core busy and of forming batches. A backend with two cores settles at 4–5
 * calls in flight. Measured at 10× detect load on two cores (load-tests/results/overload.md, the
 * embedded backend batching): 1.5 served 64% of the closed-loop capacity, 2 served 85%, at about
 * 1.4× the admitted latency.
 */
const TOLERANCE = 2;
/** The most one window may cut the limit by: one slow window is not a collapse. */
const MIN_GRADIENT = 0.5;
/** A window closes after this many answered calls (or `limit` calls, if more)... */
const MIN_WINDOW_SAMPLES = 4;
/** ...and no later than this, so a slow backend is noticed quickly. */
const MAX_WINDOW_MS = 250;
/** Calls run alone (at the lower bound) to measure the unloaded latency; their median is taken. */
const PROBE_SAMPLES = 5;
/**
 * How often the unloaded latency is measured again, so a model that became slower or faster for
 * good (a new version, a busier GPU) is relearnt. Each measurement runs PROBE_SAMPLES calls at the
 * lower bound: on two cores about 0.2 s at half throughput every 30 s.
 */
const PROBE_EVERY_MS = 30_000;

/** What the limit has learnt, for metrics and tests. */
export interface LimitState {
  limit: number;
  /** The unloaded latency from the last measurement. */
  minRttMs: number | undefined;
}

/**
 * How many calls of one model version may run at the backend at once, learnt from their latency
 * (the gradient idea of Envoy's adaptive concurrency filter and Netflix's concurrency-limits):
 * while calls take no longer than TOLERANCE × the unloaded latency and the limit is being used,
 * one more call may run; when they take longer, the backend is queueing inside, where deadlines
 * and priorities no longer apply, so the limit shrinks by the ratio (unloaded × TOLERANCE) /
 * observed. The unloaded latency cannot be seen while the backend is busy, so, like Envoy, the
 * limit drops to its lower bound for a few calls at start and every PROBE_EVERY_MS to measure it.
 * Bounded by [min, max]; `max` is the configured (or derived) max in flight.
 *
 * No maintained Node library does this (the references are C++ and Java), so it is small and
 * written here, and tested against a simulated backend whose best concurrency is known.
 */
export class AdaptiveConcurrencyLimit {
  private limit: number;
  private minRttMs: number | undefined;
  private probe: number[] | undefined = [];
  private probedAt: number;
  private window = { start: 0, sumMs: 0, samples: 0, saturated: false };

  constructor(
    private min: number,
    private max: number,
    now: number,
    initial = max,
  ) {
    this.limit = clamp(initial, min, max);
    this.probedAt = now;
    this.window.start = now;
  }

  /** Calls that may run at once now. */
  get current(): number {
    return this.probe ? this.min : Math.floor(this.limit);
  }

  get state(): LimitState {
    return { limit: this.current, minRttMs: this.minRttMs };
  }

  /** New bounds (the model's configuration changed); the limit moves inside them. */
  setBounds(min: number, max: number): void {
    this.min = min;
    this.max = max;
    this.limit = clamp(this.limit, min, max);
  }

  /**
   * One answered call: how long it held its slot, and how many calls were in flight when it
   * started (itself included). Returns whether `current` changed.
   */
  observe(rttMs: number, startedWith: number, now: number): boolean {
    const before = this.current;
    if (this.probe) this.probeSample(rttMs, startedWith, now);
    else if (now - this.probedAt >= PROBE_EVERY_MS) this.probe = [];
    else this.windowSample(rttMs, startedWith, now);
    return this.current !== before;
  }

  private probeSample(rttMs: number, startedWith: number, now: number): void {
    // Calls started before the probe ran alongside others: they say nothing of unloaded latency.
    if (!this.probe || startedWith > this.min) return;
    this.probe.push(rttMs);
    if (this.probe.length < PROBE_SAMPLES) return;
    this.minRttMs = median(this.probe);
    this.probe = undefined;
    this.probedAt = now;
    this.window = { start: now, sumMs: 0, samples: 0, saturated: false };
  }

  private windowSample(rttMs: number, startedWith: number, now: number): void {
    const window = this.window;
    window.sumMs += rttMs;
    window.samples += 1;
    if (startedWith >= this.current) window.saturated = true;
    const full = window.samples >= Math.max(MIN_WINDOW_SAMPLES, this.current);
    if (!full && now - window.start < MAX_WINDOW_MS) return;
    this.update(window.sumMs / window.samples, window.saturated);
    this.window = { start: now, sumMs: 0, samples: 0, saturated: false };
  }

  private update(windowRttMs: number, saturated: boolean): void {
    if (this.minRttMs === undefined) return;
    const gradient = Math.min(1, (TOLERANCE * this.minRttMs) / Math.max(windowRttMs, 1e-3));
    if (gradient < 1) {
      this.limit = clamp(this.limit * Math.max(MIN_GRADIENT, gradient), this.min, this.max);
    } else if (saturated) {
      this.limit = clamp(Math.floor(this.limit) + 1, this.min, this.max);
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
