import { failureReason } from './model-statistics.recorder';
import { VersionTally } from './version-tally';

describe('VersionTally (counted as Triton counts)', () => {
  it('a successful call adds one to success, queue and each compute phase; images to inference_count', () => {
    const tally = new VersionTally();
    const durations = { queueNs: 10, computeInputNs: 20, computeInferNs: 30, computeOutputNs: 40 };
    tally.succeeded(100, durations, 3, 1_000);
    tally.succeeded(200, durations, 1, 2_000);
    tally.failed(50, 'REJECTED', 1_500);
    const stats = tally.snapshot('m', '1');
    expect(stats.inferenceStats.success).toEqual({ count: 2, ns: 300 });
    expect(stats.inferenceStats.fail).toEqual({ count: 1, ns: 50 });
    expect(stats.inferenceStats.queue).toEqual({ count: 2, ns: 20 });
    expect(stats.inferenceStats.computeInput).toEqual({ count: 2, ns: 40 });
    expect(stats.inferenceStats.computeInfer).toEqual({ count: 2, ns: 60 });
    expect(stats.inferenceStats.computeOutput).toEqual({ count: 2, ns: 80 });
    expect(stats.inferenceCount).toBe(4);
    expect(stats.lastInference).toBe(2_000);
    expect(tally.failures.get('REJECTED')).toBe(1);
  });

  it('executions: one per batch, per batch size ascending; a snapshot is a copy', () => {
    const tally = new VersionTally();
    const run = (batchSize: number, ns: number) =>
      tally.executed({ batchSize, computeInputNs: 0, computeInferNs: ns, computeOutputNs: 0 });
    run(4, 40);
    run(1, 10);
    run(4, 44);
    const stats = tally.snapshot('m', '1');
    expect(stats.executionCount).toBe(3);
    expect(stats.batchStats.map((b) => [b.batchSize, b.computeInfer])).toEqual([
      [1, { count: 1, ns: 10 }],
      [4, { count: 2, ns: 84 }],
    ]);
    run(1, 5);
    expect(stats.batchStats[0].computeInfer).toEqual({ count: 1, ns: 10 });
  });

  it("maps gateway errors to Triton's failure reasons", () => {
    expect(failureReason('resource_exhausted')).toBe('REJECTED');
    expect(failureReason('deadline_exceeded')).toBe('REJECTED');
    expect(failureReason('cancelled')).toBe('CANCELED');
    expect(failureReason('unavailable')).toBe('BACKEND');
    expect(failureReason('internal')).toBe('BACKEND');
    expect(failureReason('invalid_argument')).toBe('OTHER');
  });
});
