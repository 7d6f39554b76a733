import type {
  BatchStatistics,
  DurationStatistic,
  InferStatistics,
  VersionStatistics,
} from '../../request-path/model-statistics';

/**
 * One version's statistics over several Triton endpoints: each Triton counts only the calls it
 * served, so counts and durations add up; the last inference is the latest of them.
 */
export function sumStatistics(
  name: string,
  version: string,
  parts: readonly VersionStatistics[],
): VersionStatistics {
  const batches = new Map<number, BatchStatistics>();
  for (const part of parts) {
    for (const batch of part.batchStats) {
      const sum = batches.get(batch.batchSize);
      batches.set(
        batch.batchSize,
        sum
          ? {
              batchSize: batch.batchSize,
              computeInput: add(sum.computeInput, batch.computeInput),
              computeInfer: add(sum.computeInfer, batch.computeInfer),
              computeOutput: add(sum.computeOutput, batch.computeOutput),
            }
          : batch,
      );
    }
  }
  const stat = (key: keyof InferStatistics): DurationStatistic =>
    parts.reduce((sum, part) => add(sum, part.inferenceStats[key]), { count: 0, ns: 0 });
  return {
    name,
    version,
    lastInference: Math.max(0, ...parts.map((part) => part.lastInference)),
    inferenceCount: parts.reduce((sum, part) => sum + part.inferenceCount, 0),
    executionCount: parts.reduce((sum, part) => sum + part.executionCount, 0),
    inferenceStats: {
      success: stat('success'),
      fail: stat('fail'),
      queue: stat('queue'),
      computeInput: stat('computeInput'),
      computeInfer: stat('computeInfer'),
      computeOutput: stat('computeOutput'),
      cacheHit: stat('cacheHit'),
      cacheMiss: stat('cacheMiss'),
    },
    batchStats: [...batches.values()].sort((a, b) => a.batchSize - b.batchSize),
  };
}

function add(a: DurationStatistic, b: DurationStatistic): DurationStatistic {
  return { count: a.count + b.count, ns: a.ns + b.ns };
}
