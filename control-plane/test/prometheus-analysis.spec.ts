/**
 * The PromQL analysis source against a real Prometheus scraping the gateway's own rollout series
 * (gateway/src/call-statistics/rollout-metrics.ts) from a prom-client registry with known counts.
 *
 * Tolerance: increase() extrapolates. Every series is created at 0 before Prometheus' first scrape
 * and all increments happen after it, so extrapolation towards the window's start stops at that 0
 * (Prometheus limits it to where the counter would reach zero) and only the last sample is carried
 * to the window's end: increase = true count × (sampled + gap to end) / sampled, with the gap under
 * 1.1 scrape intervals. With ≥ 10 s sampled at 1 s scrapes that factor is in [1, 1.11]. All series of
 * one scrape share its timestamps, so the factor is the same for every count: the test measures it
 * once and checks every count (and every bucket) equals true count × factor to 1e-9.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { RolloutMetrics } from '../../gateway/src/call-statistics/rollout-metrics';
import {
  bucketOf,
  LATENCY_BOUNDS_MS,
  SCORE_BOUNDS,
} from '../../gateway/src/call-statistics/statistics-bounds';
import type { ComparisonWindow, VersionWindow } from '../src/canary-analysis/analysis-window';
import {
  PrometheusAnalysisSource,
  PrometheusQueryError,
} from '../src/canary-analysis/prometheus-analysis.source';
import { PrometheusServer, withoutPrometheus } from './support/prometheus-server';

const MODEL = 'nanodet';
const PAIR = { model: MODEL, primary_version: '1', shadow_version: '2' };

/** What the "gateway" observes, per version: outcomes by role, latencies (s), scores. */
const VERSIONS = {
  '1': {
    outcomes: [
      { role: 'stable', outcome: 'ok', count: 190 },
      { role: 'stable', outcome: 'server_error', count: 6 },
      { role: 'stable', outcome: 'client_error', count: 4 },
    ],
    latencies: [
      { seconds: 0.004, count: 120 },
      { seconds: 0.025, count: 60 },
      { seconds: 0.6, count: 20 },
    ],
    images: 100,
    scores: [
      { score: 0.3, count: 150 },
      { score: 0.93, count: 100 },
    ],
  },
  '2': {
    outcomes: [
      { role: 'canary', outcome: 'ok', count: 80 },
      { role: 'tenant-override', outcome: 'ok', count: 15 },
      { role: 'canary', outcome: 'server_error', count: 5 },
    ],
    latencies: [{ seconds: 0.015, count: 100 }],
    images: 50,
    scores: [{ score: 0.52, count: 60 }],
  },
} as const;

const SHADOW = {
  outcomes: { compared: 40, error: 3, dropped: 2 },
  detections: { primary: 90, shadow: 80, matched: 70 },
  primaryScores: [{ score: 0.4, count: 90 }],
  shadowScores: [{ score: 0.45, count: 80 }],
  latencies: [{ seconds: 0.018, count: 43 }],
};

function buckets(
  bounds: readonly number[],
  observations: { value: number; count: number }[],
): number[] {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  for (const { value, count } of observations) counts[bucketOf(bounds, value)] += count;
  return counts;
}

function expectedVersion(name: keyof typeof VERSIONS): VersionWindow {
  const v = VERSIONS[name];
  const scores = v.scores.map(({ score, count }) => ({ value: score, count }));
  return {
    calls: v.outcomes.reduce((sum, o) => sum + o.count, 0),
    errors: v.outcomes.filter((o) => o.outcome === 'server_error').reduce((s, o) => s + o.count, 0),
    latencyBoundsMs: [...LATENCY_BOUNDS_MS],
    latencyBuckets: buckets(
      LATENCY_BOUNDS_MS,
      v.latencies.map(({ seconds, count }) => ({ value: seconds * 1000, count })),
    ),
    images: v.images,
    detections: scores.reduce((sum, s) => sum + s.count, 0),
    scoreBounds: [...SCORE_BOUNDS],
    scoreBuckets: buckets(SCORE_BOUNDS, scores),
  };
}

function expectedComparison(): ComparisonWindow {
  const scores = (list: { score: number; count: number }[]) =>
    buckets(
      SCORE_BOUNDS,
      list.map(({ score, count }) => ({ value: score, count })),
    );
  return {
    compared: SHADOW.outcomes.compared,
    shadowErrors: SHADOW.outcomes.error,
    shadowDropped: SHADOW.outcomes.dropped,
    primaryDetections: SHADOW.detections.primary,
    shadowDetections: SHADOW.detections.shadow,
    matched: SHADOW.detections.matched,
    scoreBounds: [...SCORE_BOUNDS],
    primaryScoreBuckets: scores(SHADOW.primaryScores),
    shadowScoreBuckets: scores(SHADOW.shadowScores),
    latencyBoundsMs: [...LATENCY_BOUNDS_MS],
    shadowLatencyBuckets: buckets(
      LATENCY_BOUNDS_MS,
      SHADOW.latencies.map(({ seconds, count }) => ({ value: seconds * 1000, count })),
    ),
  };
}

/** Every series at 0 first, so that Prometheus' first sample of each is 0. */
function zeroSeries(metrics: RolloutMetrics): void {
  for (const [version, v] of Object.entries(VERSIONS)) {
    for (const { role, outcome } of v.outcomes) {
      metrics.versionCalls.inc({ model: MODEL, version, role, outcome }, 0);
    }
    metrics.versionCallDuration.zero({ model: MODEL, version });
    metrics.versionImages.inc({ model: MODEL, version }, 0);
    metrics.versionDetections.inc({ model: MODEL, version }, 0);
    metrics.versionDetectionScore.zero({ model: MODEL, version });
  }
  for (const outcome of Object.keys(SHADOW.outcomes))
    metrics.shadowCalls.inc({ ...PAIR, outcome }, 0);
  for (const side of Object.keys(SHADOW.detections))
    metrics.shadowDetections.inc({ ...PAIR, side }, 0);
  metrics.shadowDetectionScore.zero({ ...PAIR, side: 'primary' });
  metrics.shadowDetectionScore.zero({ ...PAIR, side: 'shadow' });
  metrics.shadowCallDuration.zero(PAIR);
}

function observe(metrics: RolloutMetrics): void {
  for (const [version, v] of Object.entries(VERSIONS)) {
    const labels = { model: MODEL, version };
    for (const { role, outcome, count } of v.outcomes) {
      metrics.versionCalls.inc({ ...labels, role, outcome }, count);
    }
    for (const { seconds, count } of v.latencies) {
      for (let i = 0; i < count; i++) metrics.versionCallDuration.observe(labels, seconds);
    }
    metrics.versionImages.inc(labels, v.images);
    for (const { score, count } of v.scores) {
      metrics.versionDetections.inc(labels, count);
      for (let i = 0; i < count; i++) metrics.versionDetectionScore.observe(labels, score);
    }
  }
  for (const [outcome, count] of Object.entries(SHADOW.outcomes)) {
    metrics.shadowCalls.inc({ ...PAIR, outcome }, count);
  }
  for (const [side, count] of Object.entries(SHADOW.detections)) {
    metrics.shadowDetections.inc({ ...PAIR, side }, count);
  }
  for (const [side, list] of [
    ['primary', SHADOW.primaryScores],
    ['shadow', SHADOW.shadowScores],
  ] as const) {
    for (const { score, count } of list) {
      for (let i = 0; i < count; i++)
        metrics.shadowDetectionScore.observe({ ...PAIR, side }, score);
    }
  }
  for (const { seconds, count } of SHADOW.latencies) {
    for (let i = 0; i < count; i++) metrics.shadowCallDuration.observe(PAIR, seconds);
  }
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/**
 * Each count of `window` against the true one times the window's extrapolation factor (measured on
 * `reference`), to 1e-9; returns the factor.
 */
function expectScaled<T extends object>(window: T, truth: T, reference: keyof T & string): number {
  const factor =
    ((window as Record<string, unknown>)[reference] as number) /
    ((truth as Record<string, unknown>)[reference] as number);
  expect(factor).toBeGreaterThanOrEqual(1);
  expect(factor).toBeLessThanOrEqual(1.15);
  for (const [key, value] of Object.entries(truth) as [string, unknown][]) {
    const got: unknown = (window as Record<string, unknown>)[key];
    if (key.endsWith('Bounds') || key.endsWith('BoundsMs')) {
      expect({ [key]: got }).toEqual({ [key]: value });
    } else if (Array.isArray(value)) {
      expect(Array.isArray(got) && got.length).toBe(value.length);
      (value as number[]).forEach((count, index) =>
        expect({ [`${key}[${index}]`]: (got as number[])[index] }).toEqual({
          [`${key}[${index}]`]: expect.closeTo(count * factor, 9) as unknown,
        }),
      );
    } else {
      expect({ [key]: got }).toEqual({
        [key]: expect.closeTo((value as number) * factor, 9) as unknown,
      });
    }
  }
  return factor;
}

describe('PrometheusAnalysisSource against a real Prometheus', () => {
  if (withoutPrometheus('the canary analysis’ PromQL source')) return;

  let target: Server;
  let prometheus: PrometheusServer | undefined;
  let source: PrometheusAnalysisSource;

  beforeAll(async () => {
    const registry = new Registry();
    const metrics = new RolloutMetrics(registry);
    zeroSeries(metrics);
    target = createServer((_request, response) => {
      void registry.metrics().then((text) => {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(text);
      });
    });
    const port = await listen(target);
    prometheus = await PrometheusServer.start({ targets: [`127.0.0.1:${port}`] });
    source = new PrometheusAnalysisSource({ url: prometheus.url, timeoutMs: 5000 });

    const images = `gateway_version_images_total{model="${MODEL}",version="1"}`;
    // Two scrapes of the zeros, then the observations, then their scrape plus 8 s more samples.
    await until(
      async () => ((await source.query(`count_over_time(${images}[1m])`))[0]?.value ?? 0) >= 2,
    );
    observe(metrics);
    await until(async () => (await source.query(images))[0]?.value === VERSIONS['1'].images);
    await sleep(8000);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => target?.close(resolve));
  });

  it('returns the known counts of each version and of the comparison (extrapolated alike)', async () => {
    const [stable, canary, comparison] = await Promise.all([
      source.versionWindow(MODEL, '1', 60),
      source.versionWindow(MODEL, '2', 60),
      source.comparisonWindow(MODEL, '1', '2', 60),
    ]);
    const factors = [
      expectScaled(stable, expectedVersion('1'), 'images'),
      expectScaled(canary, expectedVersion('2'), 'images'),
      expectScaled(comparison, expectedComparison(), 'compared'),
    ];
    console.log(`increase() extrapolation factors: ${factors.map((f) => f.toFixed(4)).join(', ')}`);
  });

  it('names the query when Prometheus refuses it', async () => {
    const error = await source.query('sum(').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect((error as PrometheusQueryError).query).toBe('sum(');
    expect((error as Error).message).toMatch(
      /^Prometheus query failed: HTTP 400: .*parse error.*; query: sum\($/,
    );
  });
});

describe('PrometheusAnalysisSource failures (no Prometheus needed)', () => {
  it('names the query when the server is unreachable', async () => {
    const server = createServer();
    const port = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    const source = new PrometheusAnalysisSource({
      url: `http://127.0.0.1:${port}`,
      timeoutMs: 2000,
    });
    await expect(source.versionWindow('m', 'v', 30)).rejects.toThrow(
      /^Prometheus query failed: http:\/\/127\.0\.0\.1:\d+ unreachable \(.*\); query: sum by \(outcome\)/,
    );
  });

  it('gives up after the timeout on a server that never answers', async () => {
    const server = createServer(() => undefined);
    const port = await listen(server);
    try {
      const source = new PrometheusAnalysisSource({
        url: `http://127.0.0.1:${port}`,
        timeoutMs: 200,
      });
      const error = await source.query('up').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PrometheusQueryError);
      expect((error as Error).message).toBe(
        `Prometheus query failed: no answer from http://127.0.0.1:${port} within 200 ms; query: up`,
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses an answer that is not an instant vector, and escapes label values', async () => {
    const queries: string[] = [];
    const fake: typeof fetch = (_input, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      queries.push(new URLSearchParams(body).get('query') ?? '');
      return Promise.resolve(
        new Response(
          JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }),
        ),
      );
    };
    const source = new PrometheusAnalysisSource({
      url: 'http://prom/prefix',
      timeoutMs: 100,
      fetch: fake,
    });
    await expect(source.versionWindow('a"b\\c', 'v', 30)).rejects.toThrow(
      /HTTP 200: not an instant-vector answer/,
    );
    expect(queries[0]).toBe(
      'sum by (outcome) (increase(gateway_version_calls_total{model="a\\"b\\\\c",version="v"}[30s]))',
    );
  });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // Not scraped yet.
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(200);
  }
}
