import type {
  BatchStatistics,
  CallDurations,
  DurationStatistic,
  InferStatistics,
  VersionStatistics,
} from '../request-path/model-statistics';

/**
 * Why a call failed, as Triton labels `nv_inference_request_failure`: refused by the scheduler
 * (shed, queue full, deadline), cancelled by its caller, failed in the backend, or anything else.
 */
export const FAILURE_REASONS = ['REJECTED', 'CANCELED', 'BACKEND', 'OTHER'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** One execution of the model (one request, or one batch of several), its times in ns. */
export interface Execution {
  batchSize: number;
  computeInputNs: number;
  computeInferNs: number;
  computeOutputNs: number;
}

/**
 * The statistics of one served model version, counted as Triton counts them: each successful call
 * adds one to success, queue and each compute phase (with its own durations), its images to
 * inference_count; each execution adds one to execution_count and to its batch size's entry.
 * Batch sizes are bounded by the model's max_batch_size.
 */
export class VersionTally {
  lastInference = 0;
  inferenceCount = 0;
  executionCount = 0;
  readonly inference: InferStatistics = emptyInferStatistics();
  readonly failures = new Map<FailureReason, number>(FAILURE_REASONS.map((reason) => [reason, 0]));
  private readonly batches = new Map<number, BatchStatistics>();

  succeeded(ns: number, durations: CallDurations, images: number, now: number): void {
    const stats = this.inference;
    add(stats.success, ns);
    add(stats.queue, durations.queueNs);
    add(stats.computeInput, durations.computeInputNs);
    add(stats.computeInfer, durations.computeInferNs);
    add(stats.computeOutput, durations.computeOutputNs);
    this.inferenceCount += images;
    this.lastInference = Math.max(this.lastInference, now);
  }

  failed(ns: number, reason: FailureReason, now: number): void {
    add(this.inference.fail, ns);
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
    this.lastInference = Math.max(this.lastInference, now);
  }

  executed({ batchSize, computeInputNs, computeInferNs, computeOutputNs }: Execution): void {
    this.executionCount += 1;
    let batch = this.batches.get(batchSize);
    if (!batch) {
      batch = { batchSize, computeInput: zero(), computeInfer: zero(), computeOutput: zero() };
      this.batches.set(batchSize, batch);
    }
    add(batch.computeInput, computeInputNs);
    add(batch.computeInfer, computeInferNs);
    add(batch.computeOutput, computeOutputNs);
  }

  /** A copy in the extension's shape, batch sizes ascending. */
  snapshot(name: string, version: string): VersionStatistics {
    const copy = (stat: DurationStatistic): DurationStatistic => ({ ...stat });
    const stats = this.inference;
    return {
      name,
      version,
      lastInference: this.lastInference,
      inferenceCount: this.inferenceCount,
      executionCount: this.executionCount,
      inferenceStats: {
        success: copy(stats.success),
        fail: copy(stats.fail),
        queue: copy(stats.queue),
        computeInput: copy(stats.computeInput),
        computeInfer: copy(stats.computeInfer),
        computeOutput: copy(stats.computeOutput),
        cacheHit: copy(stats.cacheHit),
        cacheMiss: copy(stats.cacheMiss),
      },
      batchStats: [...this.batches.values()]
        .sort((a, b) => a.batchSize - b.batchSize)
        .map((batch) => ({
          batchSize: batch.batchSize,
          computeInput: copy(batch.computeInput),
          computeInfer: copy(batch.computeInfer),
          computeOutput: copy(batch.computeOutput),
        })),
    };
  }
}

/** The statistics of a version nothing has called yet. */
export function emptyVersionStatistics(name: string, version: string): VersionStatistics {
  return new VersionTally().snapshot(name, version);
}

export function emptyInferStatistics(): InferStatistics {
  return {
    success: zero(),
    fail: zero(),
    queue: zero(),
    computeInput: zero(),
    computeInfer: zero(),
    computeOutput: zero(),
    cacheHit: zero(),
    cacheMiss: zero(),
  };
}

function zero(): DurationStatistic {
  return { count: 0, ns: 0 };
}

function add(stat: DurationStatistic, ns: number): void {
  stat.count += 1;
  stat.ns += Math.max(0, Math.round(ns));
}
