import { z } from 'zod';
import type { AnalysisSource } from './analysis-source';
import {
  emptyComparisonWindow,
  emptyVersionWindow,
  type ComparisonWindow,
  type VersionWindow,
} from './analysis-window';

/** A PromQL query that failed: the query, and why (transport, timeout, HTTP status, API error). */
export class PrometheusQueryError extends Error {
  override readonly name = 'PrometheusQueryError';
  constructor(
    readonly query: string,
    reason: string,
  ) {
    super(`Prometheus query failed: ${reason}; query: ${query}`);
  }
}

export interface PrometheusAnalysisSourceOptions {
  /** Base URL of the Prometheus server (a path prefix is kept: http://host/prometheus). */
  url: string;
  /** Bound on each query. */
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch: the evaluation time of a window's queries. */
  clock?: () => number;
}

const vectorResponse = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('vector'),
    result: z.array(
      z.object({
        metric: z.record(z.string(), z.string()),
        value: z.tuple([z.number(), z.string()]),
      }),
    ),
  }),
});

const errorResponse = z.object({ status: z.literal('error'), error: z.string() });

type Sample = { labels: Record<string, string>; value: number };

/**
 * Windows from the gateways' Prometheus series (gateway/src/call-statistics/rollout-metrics.ts),
 * summed over every gateway replica with increase() over the window, for deployments that scrape
 * the gateways anyway. increase() extrapolates to the window's edges, so counts are floats a little
 * off the true ones; ratios (error rate, F1, PSI) are not skewed, every series of a scrape being
 * extrapolated alike. The window should span several scrape intervals (intervalSeconds >= 4 × the
 * scrape interval), or increase() sees too few samples to answer.
 */
export class PrometheusAnalysisSource implements AnalysisSource {
  private readonly endpoint: URL;
  private readonly fetch: typeof fetch;
  private readonly clock: () => number;

  constructor(private readonly options: PrometheusAnalysisSourceOptions) {
    const base = options.url.endsWith('/') ? options.url : `${options.url}/`;
    this.endpoint = new URL('api/v1/query', base);
    this.fetch = options.fetch ?? fetch;
    this.clock = options.clock ?? Date.now;
  }

  async versionWindow(
    model: string,
    version: string,
    windowSeconds: number,
  ): Promise<VersionWindow> {
    const selector = labelSelector({ model, version });
    const range = rangeOf(windowSeconds);
    const at = this.clock();
    const [calls, latency, images, detections, scores] = await Promise.all([
      this.query(
        `sum by (outcome) (increase(gateway_version_calls_total${selector}[${range}]))`,
        at,
      ),
      this.query(
        `sum by (le) (increase(gateway_version_call_duration_seconds_bucket${selector}[${range}]))`,
        at,
      ),
      this.query(`sum(increase(gateway_version_images_total${selector}[${range}]))`, at),
      this.query(`sum(increase(gateway_version_detections_total${selector}[${range}]))`, at),
      this.query(
        `sum by (le) (increase(gateway_version_detection_score_bucket${selector}[${range}]))`,
        at,
      ),
    ]);
    const latencyHistogram = perBucket(latency, 1000);
    const scoreHistogram = perBucket(scores, 1);
    return {
      ...emptyVersionWindow(),
      calls: total(calls),
      errors: total(calls.filter((sample) => sample.labels.outcome === 'server_error')),
      latencyBoundsMs: latencyHistogram.bounds,
      latencyBuckets: latencyHistogram.buckets,
      images: total(images),
      detections: total(detections),
      scoreBounds: scoreHistogram.bounds,
      scoreBuckets: scoreHistogram.buckets,
    };
  }

  async comparisonWindow(
    model: string,
    primaryVersion: string,
    shadowVersion: string,
    windowSeconds: number,
  ): Promise<ComparisonWindow> {
    const selector = labelSelector({
      model,
      primary_version: primaryVersion,
      shadow_version: shadowVersion,
    });
    const range = rangeOf(windowSeconds);
    const at = this.clock();
    const [calls, detections, scores, latency] = await Promise.all([
      this.query(
        `sum by (outcome) (increase(gateway_shadow_calls_total${selector}[${range}]))`,
        at,
      ),
      this.query(
        `sum by (side) (increase(gateway_shadow_detections_total${selector}[${range}]))`,
        at,
      ),
      this.query(
        `sum by (side, le) (increase(gateway_shadow_detection_score_bucket${selector}[${range}]))`,
        at,
      ),
      this.query(
        `sum by (le) (increase(gateway_shadow_call_duration_seconds_bucket${selector}[${range}]))`,
        at,
      ),
    ]);
    const of = (samples: Sample[], label: string, value: string): Sample[] =>
      samples.filter((sample) => sample.labels[label] === value);
    // Both sides on the same bounds, though a side with no detection yet has no series at all.
    const scoreBounds = perBucket(scores, 1).bounds;
    const latencyHistogram = perBucket(latency, 1000);
    return {
      ...emptyComparisonWindow(),
      compared: total(of(calls, 'outcome', 'compared')),
      shadowErrors: total(of(calls, 'outcome', 'error')),
      shadowDropped: total(of(calls, 'outcome', 'dropped')),
      primaryDetections: total(of(detections, 'side', 'primary')),
      shadowDetections: total(of(detections, 'side', 'shadow')),
      matched: total(of(detections, 'side', 'matched')),
      scoreBounds,
      primaryScoreBuckets: perBucket(of(scores, 'side', 'primary'), 1, scoreBounds).buckets,
      shadowScoreBuckets: perBucket(of(scores, 'side', 'shadow'), 1, scoreBounds).buckets,
      latencyBoundsMs: latencyHistogram.bounds,
      shadowLatencyBuckets: latencyHistogram.buckets,
    };
  }

  /**
   * One instant query, evaluated at `atMs` (default: the server's now); the samples of its vector.
   * A window's queries share one evaluation time: increase() extrapolates to the range's end, so
   * queries evaluated milliseconds apart would scale their counts differently.
   */
  async query(query: string, atMs?: number): Promise<Sample[]> {
    const form = new URLSearchParams({ query });
    if (atMs !== undefined) form.set('time', (atMs / 1000).toFixed(3));
    let response: Response;
    try {
      response = await this.fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new PrometheusQueryError(
        query,
        timedOut
          ? `no answer from ${this.endpoint.origin} within ${this.options.timeoutMs} ms`
          : `${this.endpoint.origin} unreachable (${describe(error)})`,
      );
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new PrometheusQueryError(
        query,
        `HTTP ${response.status} with a body that is not JSON (${describe(error)})`,
      );
    }
    const failed = errorResponse.safeParse(body);
    if (failed.success)
      throw new PrometheusQueryError(query, `HTTP ${response.status}: ${failed.data.error}`);
    const parsed = vectorResponse.safeParse(body);
    if (!response.ok || !parsed.success) {
      throw new PrometheusQueryError(
        query,
        `HTTP ${response.status}: not an instant-vector answer (${parsed.error?.issues[0]?.message ?? 'error status'})`,
      );
    }
    return parsed.data.data.result.map(({ metric, value }) => ({
      labels: metric,
      value: Number(value[1]),
    }));
  }
}

/** Counts are summed; NaN (an empty range) counts nothing. */
function total(samples: Sample[]): number {
  return samples.reduce(
    (sum, sample) => sum + (Number.isFinite(sample.value) ? sample.value : 0),
    0,
  );
}

/**
 * Cumulative Prometheus buckets (le) to per-bucket counts, bounds scaled (seconds → ms) and the
 * +Inf bucket last. Summed per le across series first; a dip from extrapolating each bucket series
 * on its own is clamped at 0. `bounds` forces the bucket layout (missing les count 0).
 */
function perBucket(
  samples: Sample[],
  scale: number,
  bounds?: number[],
): { bounds: number[]; buckets: number[] } {
  const cumulative = new Map<number, number>();
  for (const sample of samples) {
    const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    if (Number.isNaN(le)) continue;
    const bound = Number.isFinite(le) ? roundBound(le * scale) : Infinity;
    const value = Number.isFinite(sample.value) ? sample.value : 0;
    cumulative.set(bound, (cumulative.get(bound) ?? 0) + value);
  }
  const finite = bounds ?? [...cumulative.keys()].filter(Number.isFinite).sort((a, b) => a - b);
  const buckets: number[] = [];
  let previous = 0;
  let running = 0;
  for (const bound of [...finite, Infinity]) {
    // A missing le has at least the count of the le below it (buckets are cumulative).
    running = Math.max(running, cumulative.get(bound) ?? running);
    buckets.push(Math.max(0, running - previous));
    previous = running;
  }
  return { bounds: finite, buckets };
}

/** 0.075 s × 1000 is 75.00000000000001 ms in floating point: bounds are kept to 1e-9. */
function roundBound(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

function rangeOf(windowSeconds: number): string {
  return `${Math.max(1, Math.round(windowSeconds))}s`;
}

function labelSelector(labels: Record<string, string>): string {
  const matchers = Object.entries(labels).map(([name, value]) => `${name}=${promqlString(value)}`);
  return `{${matchers.join(',')}}`;
}

/** A PromQL double-quoted string: backslash, quote and line breaks escaped (Go's escapes). */
function promqlString(value: string): string {
  return `"${value.replace(/[\\"\n\r]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r' })[c] ?? c)}"`;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
