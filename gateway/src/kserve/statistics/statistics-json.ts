import type { DurationStatistic, VersionStatistics } from '../../request-path/model-statistics';

interface DurationJson {
  count: number;
  ns: number;
}

/** Triton's `$model_stat` over REST, keys as Triton writes them. */
export interface ModelStatJson {
  name: string;
  version: string;
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: Record<
    | 'success'
    | 'fail'
    | 'queue'
    | 'compute_input'
    | 'compute_infer'
    | 'compute_output'
    | 'cache_hit'
    | 'cache_miss',
    DurationJson
  >;
  batch_stats: {
    batch_size: number;
    compute_input: DurationJson;
    compute_infer: DurationJson;
    compute_output: DurationJson;
  }[];
  /** Triton 2.4x writes both; the gateway has no memory or decoupled-response figures to give. */
  memory_usage: never[];
  response_stats: Record<string, never>;
}

export function statisticsToJson(stats: VersionStatistics): ModelStatJson {
  const inference = stats.inferenceStats;
  return {
    name: stats.name,
    version: stats.version,
    last_inference: stats.lastInference,
    inference_count: stats.inferenceCount,
    execution_count: stats.executionCount,
    inference_stats: {
      success: json(inference.success),
      fail: json(inference.fail),
      queue: json(inference.queue),
      compute_input: json(inference.computeInput),
      compute_infer: json(inference.computeInfer),
      compute_output: json(inference.computeOutput),
      cache_hit: json(inference.cacheHit),
      cache_miss: json(inference.cacheMiss),
    },
    batch_stats: stats.batchStats.map((batch) => ({
      batch_size: batch.batchSize,
      compute_input: json(batch.computeInput),
      compute_infer: json(batch.computeInfer),
      compute_output: json(batch.computeOutput),
    })),
    memory_usage: [],
    response_stats: {},
  };
}

function json({ count, ns }: DurationStatistic): DurationJson {
  return { count, ns: Math.round(ns) };
}
