import { LatencyWindow } from './latency-window';

/** The two knobs of batch formation that adaptive mode turns. */
export interface BatchLimits {
  maxBatchSize: number;
  maxQueueDelayMs: number;
}

/** One finished batch as the tuner sees it. */
export interface CompletedBatch {
  /** Sum of the members' batch sizes. */
  size: number;
  /** The batch size limit it was formed under. */
  limit: number;
  /** Each member's time from entering the queue to its answer. */
  latenciesMs: readonly number[];
  /** The batch's own time in the backend (dispatch to answer). */
  serviceMs: number;
}

/** What the batcher asks of a tuner; fixed mode has none. */
export interface BatchTuner {
  limits(): BatchLimits;
  /** The tail latency (ms) the tuner last acted on, if it has acted. */
  readonly observedP99Ms?: number;
  arrival(now: number): void;
  completed(batch: CompletedBatch): void;
}

export interface AdaptiveControllerOptions {
  objectiveMs: number;
  /** Where tuning starts: the model's fixed settings. */
  initial: BatchLimits;
  /** Ceiling of the batch size: the model's max_batch_size (or the gateway's override). */
  maxBatchSize: number;
  /** Ceiling of the queue delay; default a quarter of the objective. */
  maxQueueDelayMs?: number;
  /** Latencies observed between two decisions; default 64. */
  samplesPerDecision?: number;
  /** Latencies the p99 is taken over; default 512. */
  windowSize?: number;
}

/** Increase only while the p99 is below (1 - HEADROOM) × objective: the hysteresis band. */
const HEADROOM = 0.15;
/** Multiplicative decrease of the batch size (at least one) and of the delay. */
const BATCH_DECREASE = 0.75;
const DELAY_DECREASE = 0.5;
/** Additive delay step, as a share of the objective (2 ms for 100 ms). */
const DELAY_STEP_SHARE = 0.02;
/** Batches this full (mean size / limit) closed on size, not on the delay. */
const FULL = 0.8;
/** Decisions after a decrease during which nothing increases, so one noisy window cannot sawtooth. */
const COOLDOWN_DECISIONS = 3;
/** EWMA weight of the newest gap between arrivals. */
const GAP_ALPHA = 0.1;
/** Delays below this are zero: timers cannot do better. */
const MIN_DELAY_MS = 0.05;

/**
 * Adaptive batching (Clipper's AIMD, extended to the queue delay): holds the p99 of the time a
 * request spends in the batcher and the backend under an objective while making batches as large as
 * that allows. Every `samplesPerDecision` latencies it compares the window's p99 with the objective:
 * - above it: multiplicative decrease: delay × 0.5, and batch size × 0.75 (at least −1) if some
 *   batch reached the limit and the batches themselves are slow (p99 batch time above what the
 *   objective leaves for waiting behind one batch and running in the next); then no increase for
 *   COOLDOWN_DECISIONS decisions. When the batches are fast and full, the time was spent queueing
 *   behind more work than the backend can do: a smaller batch would only serve less of it, so the
 *   size grows instead while the batch time leaves room (shedding that backlog is admission's job);
 * - below (1 − HEADROOM) × objective, over a window at least half full (a p99 of few samples is
 *   little more than their maximum, and one quiet stretch must not look like headroom): additive
 *   increase of one knob: the batch size (+1) when batches fill up to it, otherwise the delay (+2%
 *   of the objective), but only when another request is expected within the longer wait (the EWMA
 *   gap between arrivals says so);
 * - in between: hold.
 * Unless over the objective, a delay in which no request is expected to arrive is halved: it costs
 * latency and fills nothing. Each change clears the window, so the next decision sees only the new
 * settings.
 * Both knobs stay within [1, maxBatchSize] and [0, maxQueueDelayMs]. See docs/batching.md.
 */
export class AdaptiveController implements BatchTuner {
  private batchSize: number;
  private delayMs: number;
  private readonly maxDelayMs: number;
  private readonly delayStepMs: number;
  private readonly samplesPerDecision: number;
  private readonly window: LatencyWindow;
  /** Batch times (dispatch to answer) since the last change. */
  private readonly serviceWindow: LatencyWindow;
  private samples = 0;
  private batches = 0;
  private fillSum = 0;
  private reachedLimit = false;
  private cooldown = 0;
  private lastArrival: number | undefined;
  private gapMs: number | undefined;
  private p99: number | undefined;

  constructor(private readonly options: AdaptiveControllerOptions) {
    this.maxDelayMs = options.maxQueueDelayMs ?? options.objectiveMs / 4;
    this.delayStepMs = options.objectiveMs * DELAY_STEP_SHARE;
    this.samplesPerDecision = options.samplesPerDecision ?? 64;
    this.window = new LatencyWindow(options.windowSize ?? 512);
    this.serviceWindow = new LatencyWindow(Math.max(8, (options.windowSize ?? 512) / 8));
    this.batchSize = clamp(Math.round(options.initial.maxBatchSize), 1, options.maxBatchSize);
    this.delayMs = clamp(options.initial.maxQueueDelayMs, 0, this.maxDelayMs);
  }

  limits(): BatchLimits {
    return { maxBatchSize: this.batchSize, maxQueueDelayMs: this.delayMs };
  }

  /** The p99 (ms) the last decision was taken on; undefined before the first. */
  get observedP99Ms(): number | undefined {
    return this.p99;
  }

  arrival(now: number): void {
    if (this.lastArrival !== undefined) {
      const gap = Math.max(0, now - this.lastArrival);
      this.gapMs = this.gapMs === undefined ? gap : this.gapMs + GAP_ALPHA * (gap - this.gapMs);
    }
    this.lastArrival = now;
  }

  completed(batch: CompletedBatch): void {
    for (const latency of batch.latenciesMs) this.window.add(latency);
    this.serviceWindow.add(batch.serviceMs);
    this.samples += batch.latenciesMs.length;
    this.batches += 1;
    this.fillSum += Math.min(1, batch.size / Math.max(1, batch.limit));
    if (batch.size >= batch.limit) this.reachedLimit = true;
    if (this.samples >= this.samplesPerDecision) this.decide();
  }

  private decide(): void {
    const p99 = this.window.quantile(0.99) ?? 0;
    const fill = this.fillSum / this.batches;
    const reachedLimit = this.reachedLimit;
    this.p99 = p99;
    this.samples = 0;
    this.batches = 0;
    this.fillSum = 0;
    this.reachedLimit = false;
    const before = this.limits();
    const objective = this.options.objectiveMs;

    if (p99 > objective) {
      // A request may wait for the batch ahead of it and then run in its own: two batch times.
      const batchBudgetMs = (objective - this.delayMs) / 2;
      const serviceP99 = this.serviceWindow.quantile(0.99) ?? 0;
      if (serviceP99 > batchBudgetMs) {
        // A limit no batch reached is not what made them slow: lowering it would change nothing.
        if (reachedLimit) {
          this.batchSize = Math.max(
            1,
            Math.min(this.batchSize - 1, Math.floor(this.batchSize * BATCH_DECREASE)),
          );
        }
        this.cooldown = COOLDOWN_DECISIONS;
      } else if (this.cooldown > 0) {
        this.cooldown -= 1;
      } else if (
        fill >= FULL &&
        (serviceP99 * (this.batchSize + 1)) / this.batchSize < (1 - HEADROOM) * batchBudgetMs
      ) {
        // Backlog behind fast, full batches: larger ones drain it sooner.
        this.batchSize = Math.min(this.options.maxBatchSize, this.batchSize + 1);
      }
      this.delayMs = this.floorDelay(this.delayMs * DELAY_DECREASE);
    } else {
      if (this.cooldown > 0) {
        this.cooldown -= 1;
      } else if (p99 < (1 - HEADROOM) * objective && this.window.size >= this.window.capacity / 2) {
        if (fill >= FULL) {
          this.batchSize = Math.min(this.options.maxBatchSize, this.batchSize + 1);
        } else if (this.expectedWithin(this.delayMs + this.delayStepMs)) {
          this.delayMs = Math.min(this.maxDelayMs, this.delayMs + this.delayStepMs);
        }
      }
      // Waiting where nobody arrives fills nothing: give that latency back.
      const idle = !this.expectedWithin(2 * (this.delayMs + this.delayStepMs));
      if (fill < FULL && this.delayMs > 0 && idle) {
        this.delayMs = this.floorDelay(this.delayMs * DELAY_DECREASE);
      }
    }

    const after = this.limits();
    if (
      after.maxBatchSize !== before.maxBatchSize ||
      after.maxQueueDelayMs !== before.maxQueueDelayMs
    ) {
      this.window.clear();
      this.serviceWindow.clear();
    }
  }

  /** Whether the next request is expected to arrive within `ms` (the EWMA of arrival gaps). */
  private expectedWithin(ms: number): boolean {
    return this.gapMs !== undefined && this.gapMs <= ms;
  }

  private floorDelay(ms: number): number {
    return ms < MIN_DELAY_MS ? 0 : ms;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
