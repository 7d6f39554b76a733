import { groupMembers } from '../../gateway/test/interop/triton-server';
import { runClosedLoop } from '../lib/closed-loop';
import { round, summarize } from '../lib/latency-stats';
import { cpuSeconds, memory, resetPeakRss } from '@test-support';
import type { GatewayProcess } from '../detect-overhead/gateway-process';
import {
  scrapeBatchMetrics,
  scrapeTritonMetrics,
  type BatchMetrics,
  type TritonBatchMetrics,
} from './batch-metrics';
import type { Configuration } from './configurations';
import type { InferClient } from './infer-client';
import type { BatchingBenchSettings } from './settings';
import type { InferPayload } from './tensors';
import type { Cell } from './types';

/** A running configuration: its gateway child, a client of it, and the Triton behind it if any. */
export interface Target {
  configuration: Configuration;
  gateway: GatewayProcess;
  client: InferClient;
  /** The Triton this gateway forwards to (interop tier): its process group and metrics. */
  triton?: { pgid: number; metricsUrl: string };
}

/** One closed-loop cell: warm-up, then a window in which the gateway's (and Triton's) cost is read. */
export async function measureCell(
  target: Target,
  payloads: readonly InferPayload[],
  concurrency: number,
  settings: BatchingBenchSettings,
): Promise<Cell> {
  const { gateway, configuration } = target;
  const batching = configuration.gatewayBatching !== 'off';
  let gatewayCpu = 0;
  let tritonCpu = 0;
  let peakRssReset = false;
  // Scrapes start at the window's edges; awaited after the loop (the callbacks are synchronous).
  let before: Promise<BatchMetrics> | undefined;
  let after: Promise<BatchMetrics> | undefined;
  let tritonBefore: Promise<TritonBatchMetrics> | undefined;
  let tritonAfter: Promise<TritonBatchMetrics> | undefined;
  const triton = target.triton;
  const result = await runClosedLoop({
    concurrency,
    warmupMs: settings.warmupMs,
    measureMs: settings.windowMs,
    send: async (sequence) => {
      await target.client.infer(payloads[sequence % payloads.length].request, sequence);
    },
    onWindowOpen: () => {
      peakRssReset = resetPeakRss(gateway.pid);
      gatewayCpu = -cpuSeconds(gateway.pid);
      tritonCpu = -groupCpuSeconds(triton?.pgid);
      if (batching) before = scrapeBatchMetrics(gateway.httpUrl);
      if (triton) tritonBefore = scrapeTritonMetrics(triton.metricsUrl);
    },
    onWindowClose: () => {
      gatewayCpu += cpuSeconds(gateway.pid);
      tritonCpu += groupCpuSeconds(triton?.pgid);
      if (batching) after = scrapeBatchMetrics(gateway.httpUrl);
      if (triton) tritonAfter = scrapeTritonMetrics(triton.metricsUrl);
    },
  });
  const windowS = result.windowMs / 1000;
  const answered = Math.max(1, result.completedInWindow);
  const latency = summarize(result.latenciesMs);
  const cell: Cell = {
    tier: configuration.tier,
    configuration: configuration.name,
    concurrency,
    samples: latency.count,
    requestsPerSecond: round(result.completedInWindow / windowS, 2),
    p50Ms: round(latency.p50Ms, 1),
    p90Ms: round(latency.p90Ms, 1),
    p99Ms: round(latency.p99Ms, 1),
    maxMs: round(latency.maxMs, 1),
    errors: result.errors,
    errorMessages: result.errorMessages,
    gatewayCpuMsPerRequest: round((gatewayCpu * 1000) / answered, 2),
    gatewayCpuCores: round(gatewayCpu / windowS, 2),
    gatewayPeakRssMiB: round(memory(gateway.pid).peakRssMiB, 1),
    peakRssReset,
    tritonCpuMsPerRequest: triton ? round((tritonCpu * 1000) / answered, 2) : undefined,
  };
  if (tritonBefore && tritonAfter) {
    const [start, end] = await Promise.all([tritonBefore, tritonAfter]);
    const executions = end.executions - start.executions;
    // Triton counts a gateway batch of 8 as 8 inferences in one execution, as its own batches.
    cell.tritonMeanBatchSize =
      executions > 0 ? round((end.inferences - start.inferences) / executions, 2) : undefined;
  }
  if (before && after) {
    const [start, end] = await Promise.all([before, after]);
    const batches = end.batches - start.batches;
    cell.meanBatchSize =
      batches > 0 ? round((end.batchedImages - start.batchedImages) / batches, 2) : undefined;
    cell.batchesPerSecond = round(batches / windowS, 2);
    if (configuration.gatewayBatching === 'adaptive') {
      cell.adaptive = {
        maxBatchSize: end.maxBatchSize,
        maxQueueDelayMs:
          end.maxQueueDelayMs === undefined ? undefined : round(end.maxQueueDelayMs, 2),
        observedP99Ms: end.adaptiveP99Ms === undefined ? undefined : round(end.adaptiveP99Ms, 1),
      };
    }
  }
  return cell;
}

/** CPU seconds of a process group's live members (Triton and its Python-backend stub); 0 without one. */
function groupCpuSeconds(pgid: number | undefined): number {
  if (pgid === undefined) return 0;
  let total = 0;
  for (const member of groupMembers(pgid)) {
    try {
      total += cpuSeconds(member);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}
