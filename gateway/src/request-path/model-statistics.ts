/**
 * Triton's statistics extension, per model version: counts and cumulative durations (ns) since the
 * version was loaded. The gateway's own measurements (model-statistics/) and a backend's that
 * measures them itself (Triton: ModelStatistics) have this one shape.
 */
export interface DurationStatistic {
  count: number;
  ns: number;
}

export interface InferStatistics {
  success: DurationStatistic;
  fail: DurationStatistic;
  queue: DurationStatistic;
  computeInput: DurationStatistic;
  computeInfer: DurationStatistic;
  computeOutput: DurationStatistic;
  cacheHit: DurationStatistic;
  cacheMiss: DurationStatistic;
}

export interface BatchStatistics {
  batchSize: number;
  computeInput: DurationStatistic;
  computeInfer: DurationStatistic;
  computeOutput: DurationStatistic;
}

export interface VersionStatistics {
  name: string;
  version: string;
  /** Milliseconds since the epoch of the last request; 0 before the first. */
  lastInference: number;
  /** Inferences (batch rows) of successful requests. */
  inferenceCount: number;
  /** Model executions: a batch of several requests is one. */
  executionCount: number;
  inferenceStats: InferStatistics;
  /** One entry per batch size executed, ascending. */
  batchStats: BatchStatistics[];
}

/**
 * A backend that keeps Triton's statistics itself (Triton): the gateway asks it rather than
 * measuring execution from outside. `model` and `version` name one served version.
 */
export interface ModelStatisticsSource {
  modelStatistics(model: string, version: string): Promise<VersionStatistics>;
}

/** Whether a backend keeps its own statistics. */
export function isModelStatisticsSource(backend: object): backend is ModelStatisticsSource {
  return typeof (backend as Partial<ModelStatisticsSource>).modelStatistics === 'function';
}

/**
 * Where one call's time went, in ns, added to by the stages that measure it (admit and batch:
 * queue; detect pre/postprocessing: compute input/output; the backend call: compute infer) and
 * read once when the call ends. One object per call; a batch carries those of all its members.
 */
export interface CallDurations {
  queueNs: number;
  computeInputNs: number;
  computeInferNs: number;
  computeOutputNs: number;
}

export function newCallDurations(): CallDurations {
  return { queueNs: 0, computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 };
}
