import { GatewayMetrics } from '../metrics/gateway-metrics';
import type { ResolvedTarget } from '../request-path/resolved-target';
import type { RouteDecision } from '../request-path/route-decision';
import { CallStatistics } from './call-statistics';
import { bucketOf, LATENCY_BOUNDS_MS, SCORE_BOUNDS } from './statistics-bounds';

const target = (version: string): ResolvedTarget =>
  ({ model: 'm', version, metadata: {} }) as unknown as ResolvedTarget;
const route: RouteDecision = {
  role: 'canary',
  version: '2',
  revision: 7n,
  deploymentRevision: 3n,
  shadows: [],
};
const detection = (x: number, score: number, classId = 0) => ({
  x1: x,
  y1: 0,
  x2: x + 10,
  y2: 10,
  classId,
  score,
});

describe('CallStatistics', () => {
  it("tallies each version's calls, server errors, latency and detections until drained", () => {
    const statistics = new CallStatistics(new GatewayMetrics());
    statistics.recordPrimary({
      target: target('2'),
      route,
      outcome: 'ok',
      ms: 12,
      detections: [detection(0, 0.9), detection(20, 0.42)],
    });
    statistics.recordPrimary({ target: target('2'), route, outcome: 'server_error', ms: 4000 });
    statistics.recordPrimary({ target: target('2'), route, outcome: 'client_error', ms: 1 });

    const report = statistics.drain();
    expect(report?.versions).toHaveLength(1);
    const [tally] = report!.versions;
    expect(tally).toMatchObject({
      model: 'm',
      version: '2',
      calls: 3n,
      errors: 1n,
      images: 1n,
      detections: 2n,
    });
    expect(tally.latencyBucketCounts[bucketOf(LATENCY_BOUNDS_MS, 12)]).toBe(1n);
    expect(tally.latencyBucketCounts[bucketOf(LATENCY_BOUNDS_MS, 4000)]).toBe(1n);
    expect(tally.scoreBucketCounts[bucketOf(SCORE_BOUNDS, 0.42)]).toBe(1n);
    expect(report!.latencyBoundsMs).toEqual(LATENCY_BOUNDS_MS);
    expect(report!.windowEndUnixMs).toBeGreaterThanOrEqual(report!.windowStartUnixMs);
    // A drained window starts afresh.
    expect(statistics.drain()).toBeUndefined();
  });

  it("compares a shadow's detections with the primary's on the same image", () => {
    const statistics = new CallStatistics(new GatewayMetrics());
    const pair = { model: 'm', primaryVersion: '1', shadowVersion: '2' };
    statistics.recordShadow(pair, {
      outcome: 'compared',
      ms: 8,
      primary: [detection(0, 0.9), detection(100, 0.8)],
      // One moved by 1 px (same object), one moved far (a different one), one extra.
      shadow: [detection(1, 0.88), detection(150, 0.7), detection(300, 0.5)],
    });
    statistics.recordShadow(pair, { outcome: 'error', ms: 3 });
    statistics.recordShadow(pair, { outcome: 'dropped' });

    const [comparison] = statistics.drain()!.comparisons;
    expect(comparison).toMatchObject({
      compared: 1n,
      primaryDetections: 2n,
      shadowDetections: 3n,
      matched: 1n,
      shadowErrors: 1n,
      shadowDropped: 1n,
    });
    expect(comparison.shadowLatencyBucketCounts.reduce((a, b) => a + b)).toBe(2n);
  });

  it('writes the same observations as Prometheus series', async () => {
    const metrics = new GatewayMetrics();
    const statistics = new CallStatistics(metrics);
    statistics.recordPrimary({
      target: target('2'),
      route,
      outcome: 'ok',
      ms: 5,
      detections: [detection(0, 0.9)],
    });
    statistics.recordShadow(
      { model: 'm', primaryVersion: '1', shadowVersion: '2' },
      { outcome: 'compared', ms: 5, primary: [detection(0, 0.9)], shadow: [detection(0, 0.9)] },
    );
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'gateway_version_calls_total{model="m",version="2",role="canary",outcome="ok"} 1',
    );
    expect(text).toContain('gateway_version_detections_total{model="m",version="2"} 1');
    expect(text).toContain(
      'gateway_shadow_detections_total{model="m",primary_version="1",shadow_version="2",side="matched"} 1',
    );
  });
});
