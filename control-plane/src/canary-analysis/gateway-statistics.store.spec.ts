import { create } from '@bufbuild/protobuf';
import {
  CallStatisticsReportSchema,
  ComparisonStatisticsSchema,
  VersionCallStatisticsSchema,
  type CallStatisticsReport,
  type ComparisonStatistics,
  type VersionCallStatistics,
} from '@contracts/generated/control/v1/routing_pb';
import { GatewayStatisticsStore } from './gateway-statistics.store';

const LATENCY = [10, 100];
const SCORE = [0.5];
const T0 = 1_700_000_000_000;

function version(
  model: string,
  name: string,
  calls: number,
  extra: Partial<Record<'errors' | 'images' | 'detections', number>> = {},
): VersionCallStatistics {
  return create(VersionCallStatisticsSchema, {
    model,
    version: name,
    calls: BigInt(calls),
    errors: BigInt(extra.errors ?? 0),
    images: BigInt(extra.images ?? 0),
    detections: BigInt(extra.detections ?? 0),
    latencyBucketCounts: [BigInt(calls), 0n, 0n],
    scoreBucketCounts: [0n, BigInt(extra.detections ?? 0)],
  });
}

function comparison(compared: number, matched: number): ComparisonStatistics {
  return create(ComparisonStatisticsSchema, {
    model: 'nanodet',
    primaryVersion: '1',
    shadowVersion: '2',
    compared: BigInt(compared),
    shadowErrors: 1n,
    shadowDropped: 2n,
    primaryDetections: BigInt(2 * compared),
    shadowDetections: BigInt(2 * compared),
    matched: BigInt(matched),
    shadowLatencyBucketCounts: [0n, BigInt(compared), 0n],
    shadowScoreBucketCounts: [BigInt(compared), 0n],
    primaryScoreBucketCounts: [0n, BigInt(compared)],
  });
}

function report(
  versions: VersionCallStatistics[],
  comparisons: ComparisonStatistics[] = [],
  bounds: { latency?: number[]; score?: number[] } = {},
): CallStatisticsReport {
  return create(CallStatisticsReportSchema, {
    windowStartUnixMs: BigInt(T0 - 1000),
    windowEndUnixMs: BigInt(T0),
    latencyBoundsMs: bounds.latency ?? LATENCY,
    scoreBounds: bounds.score ?? SCORE,
    versions,
    comparisons,
  });
}

describe('GatewayStatisticsStore', () => {
  let now = T0;
  const clock = (): number => now;
  beforeEach(() => {
    now = T0;
  });

  it('sums every gateway’s reports over the seconds received in [from, to)', () => {
    const store = new GatewayStatisticsStore({}, clock);
    for (let second = 0; second < 10; second++) {
      // Two gateways a second; the second gateway's report lands later in the same second.
      store.ingest(
        report([version('nanodet', '1', 10, { errors: 1, images: 10, detections: 30 })]),
        T0 + second * 1000,
      );
      store.ingest(report([version('nanodet', '1', 5)]), T0 + second * 1000 + 700);
    }
    now = T0 + 10_000;
    const window = store.versionWindow('nanodet', '1', T0 + 5000, now);
    expect(window).toEqual({
      calls: 75,
      errors: 5,
      latencyBoundsMs: LATENCY,
      latencyBuckets: [75, 0, 0],
      images: 50,
      detections: 150,
      scoreBounds: SCORE,
      scoreBuckets: [0, 150],
    });
    expect(store.versionWindow('nanodet', '1', T0, now).calls).toBe(150);
    expect(store.versionWindow('nanodet', '2', T0, now)).toMatchObject({
      calls: 0,
      latencyBoundsMs: LATENCY,
      latencyBuckets: [0, 0, 0],
    });
  });

  it('keeps comparisons per (model, primary, shadow)', () => {
    const store = new GatewayStatisticsStore({}, clock);
    store.ingest(report([], [comparison(20, 30)]), T0);
    store.ingest(report([], [comparison(10, 15)]), T0 + 1000);
    now = T0 + 2000;
    expect(store.comparisonWindow('nanodet', '1', '2', T0, now)).toEqual({
      compared: 30,
      shadowErrors: 2,
      shadowDropped: 4,
      primaryDetections: 60,
      shadowDetections: 60,
      matched: 45,
      scoreBounds: SCORE,
      primaryScoreBuckets: [0, 30],
      shadowScoreBuckets: [30, 0],
      latencyBoundsMs: LATENCY,
      shadowLatencyBuckets: [0, 30, 0],
    });
    expect(store.comparisonWindow('nanodet', '2', '1', T0, now).compared).toBe(0);
  });

  it('forgets what is older than the retention, reusing its ring slot', () => {
    const store = new GatewayStatisticsStore({ retentionSeconds: 60 }, clock);
    store.ingest(report([version('nanodet', '1', 7)]), T0);
    now = T0 + 61_000;
    expect(store.versionWindow('nanodet', '1', 0, now + 1).calls).toBe(0);
    // Same ring index one lap later: the old counts are not added to the new second's.
    store.ingest(report([version('nanodet', '1', 3)]), T0 + 60_000);
    expect(store.versionWindow('nanodet', '1', 0, now + 1).calls).toBe(3);
  });

  it('takes the latest bounds and drops every older slot when a report’s bounds differ', () => {
    const store = new GatewayStatisticsStore({}, clock);
    store.ingest(report([version('nanodet', '1', 7)]), T0);
    const other = create(VersionCallStatisticsSchema, {
      model: 'nanodet',
      version: '1',
      calls: 4n,
      latencyBucketCounts: [4n, 0n],
      scoreBucketCounts: [0n, 0n],
    });
    expect(store.ingest(report([other], [], { latency: [50] }), T0 + 1000).accepted).toBe(1);
    now = T0 + 2000;
    expect(store.versionWindow('nanodet', '1', T0, now)).toMatchObject({
      calls: 4,
      latencyBoundsMs: [50],
      latencyBuckets: [4, 0],
    });
  });

  it('refuses malformed reports and entries, naming what is wrong', () => {
    const store = new GatewayStatisticsStore({ maxBounds: 4, maxNameLength: 16 }, clock);
    expect(store.ingest(report([], [], { latency: [10, 5] })).rejected).toEqual([
      'latency_bounds_ms must be finite and increasing',
    ]);
    expect(store.ingest(report([], [], { score: [0.1, 0.2, 0.3, 0.4, 0.5] })).rejected).toEqual([
      'score_bounds: 5 bounds, at most 4',
    ]);
    const wrongBuckets = create(VersionCallStatisticsSchema, {
      model: 'nanodet',
      version: '1',
      calls: 1n,
      latencyBucketCounts: [1n],
    });
    const result = store.ingest(
      report([wrongBuckets, version('x'.repeat(17), '1', 1), version('nanodet', '1', 2)]),
    );
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      'latency buckets: 1 counts for 2 bounds (+Inf)',
      'a model or version name of 17 characters (1-16)',
    ]);
    expect(store.versionWindow('nanodet', '1', T0, T0 + 1000).calls).toBe(2);
  });

  it('stays bounded under a hostile flood of keys, evicting the least recently updated', () => {
    const store = new GatewayStatisticsStore({ maxKeys: 100, maxStoredValues: 1_000_000 }, clock);
    store.ingest(report([version('nanodet', 'kept', 1)]), T0);
    for (let batch = 0; batch < 50; batch++) {
      // Each report within the cap: one report naming more keys than maxKeys evicts everything.
      const versions = Array.from({ length: 60 }, (_, index) =>
        version('hostile', `${batch}-${index}`, 1),
      );
      store.ingest(report(versions), T0 + batch);
      // Updated every round: never the least recently updated key.
      store.ingest(report([version('nanodet', 'kept', 1)]), T0 + batch);
      expect(store.keys).toBeLessThanOrEqual(100);
    }
    expect(store.versionWindow('nanodet', 'kept', T0, T0 + 1000).calls).toBe(51);
    expect(store.versionWindow('hostile', '0-0', T0, T0 + 1000).calls).toBe(0);
  });

  it('caps the values held, whatever the number of seconds and keys', () => {
    // A version slot here is 4 counters + 3 latency + 2 score buckets = 9 values.
    const store = new GatewayStatisticsStore({ maxKeys: 1000, maxStoredValues: 900 }, clock);
    for (let second = 0; second < 300; second++) {
      store.ingest(
        report([version('nanodet', `v${second % 7}`, 1), version('nanodet', 'hot', 1)]),
        T0 + second * 1000,
      );
      expect(store.values).toBeLessThanOrEqual(900);
    }
    now = T0 + 300_000;
    // The hot key is updated every second, so it is never the one evicted.
    expect(store.versionWindow('nanodet', 'hot', now - 10_000, now).calls).toBe(10);
  });
});
