import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { BatcherObserver } from './batcher';

/** A model version's batcher reporting into the gateway's Prometheus metrics. */
export function batcherMetrics(
  metrics: GatewayMetrics,
  model: string,
  version: string,
  levels: number,
): BatcherObserver {
  const labels = { model, version };
  // Level 0 is where real-time requests queue, the last level where bulk (and demoted) ones do.
  const priority = (level: number): string =>
    level === 0 ? 'realtime' : level === levels - 1 ? 'bulk' : `level_${level + 1}`;
  return {
    queueDepth: (depth) => metrics.batchQueueDepth.set(labels, depth),
    inFlight: (batches) => metrics.batchesInFlight.set(labels, batches),
    dispatched: (size, members) => {
      metrics.batchSize.observe(labels, size);
      for (const member of members) {
        metrics.batchQueueDelay.observe(
          { ...labels, priority: priority(member.level) },
          member.queueDelayMs / 1000,
        );
      }
    },
    expired: (reason, level) =>
      metrics.batchExpired.inc({ ...labels, priority: priority(level), reason }),
    refused: (_reason, level) => metrics.batchRefused.inc({ ...labels, priority: priority(level) }),
    cancelled: (level) => metrics.batchCancelled.inc({ ...labels, priority: priority(level) }),
    limits: (limits, observedP99Ms) => {
      metrics.batchMaxSize.set(labels, limits.maxBatchSize);
      metrics.batchMaxQueueDelay.set(labels, limits.maxQueueDelayMs / 1000);
      if (observedP99Ms !== undefined) metrics.batchObservedP99.set(labels, observedP99Ms / 1000);
    },
  };
}
