import { benchAuthHeaders } from '../lib/bench-credentials';
import { MODEL } from './settings';

/** The gateway's batching metrics for the benchmark model, read from its /metrics. */
export interface BatchMetrics {
  /** gateway_batch_size histogram: batches sent and the images in them, since start. */
  batches: number;
  batchedImages: number;
  /** Limits in force (adaptive mode moves them). */
  maxBatchSize?: number;
  maxQueueDelayMs?: number;
  /** The p99 (queue + backend) adaptive mode last acted on. */
  adaptiveP99Ms?: number;
}

/**
 * One scrape, over HTTP with the bench key (admin includes metrics:read). Read from outside, as
 * Prometheus would, so the gateway under test runs unmodified.
 */
export async function scrapeBatchMetrics(httpUrl: string): Promise<BatchMetrics> {
  const response = await fetch(new URL('/metrics', httpUrl), { headers: benchAuthHeaders() });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`GET /metrics answered ${response.status}: ${text.slice(0, 200)}`);
  }
  const values = modelSamples(text);
  const optional = (name: string, scale = 1): number | undefined => {
    const value = values.get(name);
    return value === undefined ? undefined : value * scale;
  };
  return {
    batches: values.get('gateway_batch_size_count') ?? 0,
    batchedImages: values.get('gateway_batch_size_sum') ?? 0,
    maxBatchSize: optional('gateway_batch_max_size'),
    maxQueueDelayMs: optional('gateway_batch_max_queue_delay_seconds', 1000),
    adaptiveP99Ms: optional('gateway_batch_latency_p99_seconds', 1000),
  };
}

/** Triton's own counters for the benchmark model: requests, and model executions (its batches). */
export interface TritonBatchMetrics {
  inferences: number;
  executions: number;
}

/** One scrape of Triton's Prometheus endpoint (nv_inference_count, nv_inference_exec_count). */
export async function scrapeTritonMetrics(metricsUrl: string): Promise<TritonBatchMetrics> {
  const response = await fetch(metricsUrl);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`Triton /metrics answered ${response.status}`);
  const values = modelSamples(text);
  return {
    inferences: values.get('nv_inference_count') ?? 0,
    executions: values.get('nv_inference_exec_count') ?? 0,
  };
}

/** Samples labelled with the benchmark model (any version: one is served), summed per name. */
function modelSamples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  const sample = /^([a-z_:][a-z0-9_:]*)\{([^}]*)\} (\S+)$/i;
  for (const line of text.split('\n')) {
    const match = sample.exec(line);
    if (!match || !match[2].includes(`model="${MODEL}"`)) continue;
    values.set(match[1], (values.get(match[1]) ?? 0) + Number(match[3]));
  }
  return values;
}
