import { emptyVersionStatistics } from '../../model-statistics/version-tally';
import type { VersionStatistics } from '../../request-path/model-statistics';
import { sumStatistics } from './triton-statistics';

function endpoint(success: number, batches: [number, number][], last: number): VersionStatistics {
  const stats = emptyVersionStatistics('m', '1');
  stats.inferenceStats.success = { count: success, ns: success * 100 };
  stats.inferenceCount = batches.reduce((sum, [size, count]) => sum + size * count, 0);
  stats.executionCount = batches.reduce((sum, [, count]) => sum + count, 0);
  stats.lastInference = last;
  stats.batchStats = batches.map(([batchSize, count]) => ({
    batchSize,
    computeInput: { count, ns: count },
    computeInfer: { count, ns: count * 10 },
    computeOutput: { count, ns: count },
  }));
  return stats;
}

describe('sumStatistics (one version over several Triton endpoints)', () => {
  it('adds counts and durations, merges batch sizes, keeps the latest inference', () => {
    const sum = sumStatistics('m', '1', [
      endpoint(
        3,
        [
          [1, 2],
          [4, 1],
        ],
        500,
      ),
      endpoint(
        2,
        [
          [2, 1],
          [4, 1],
        ],
        900,
      ),
    ]);
    expect(sum.inferenceStats.success).toEqual({ count: 5, ns: 500 });
    expect(sum.inferenceCount).toBe(2 + 4 + 2 + 4);
    expect(sum.executionCount).toBe(5);
    expect(sum.lastInference).toBe(900);
    expect(
      sum.batchStats.map((b) => [b.batchSize, b.computeInfer.count, b.computeInfer.ns]),
    ).toEqual([
      [1, 2, 20],
      [2, 1, 10],
      [4, 2, 20],
    ]);
  });
});
