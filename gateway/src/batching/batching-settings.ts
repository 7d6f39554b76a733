import {
  ModelQueuePolicy_TimeoutAction,
  type ModelDynamicBatching,
  type ModelQueuePolicy,
} from '@contracts/generated/inference/model_config_pb';
import type { GatewayConfig } from '../config/gateway-config';
import type { ModelMetadata } from '../request-path/inference-backend';
import { modelInstanceCount } from '../inference/model-instances';

export type BatchingMode = 'off' | 'fixed' | 'adaptive';

/** Triton's queue policy for one priority level, in the units the batcher works in. */
export interface QueuePolicy {
  /** Requests this level may hold; never unbounded (Triton's 0 = unbounded becomes the gateway's bound). */
  maxQueueSize: number;
  /** How long a request may wait in the queue; 0: only the caller's deadline applies. */
  timeoutMs: number;
  /** A request with its own deadline is bound by that instead of timeoutMs (allow_timeout_override). */
  allowTimeoutOverride: boolean;
  /** At timeoutMs: refuse with deadline_exceeded, or keep it at the lowest priority (Triton's DELAY). */
  onTimeout: 'reject' | 'delay';
}

/** How one model version is batched, from its config.pbtxt with the gateway's overrides applied. */
export interface ModelBatchingSettings {
  mode: Exclude<BatchingMode, 'off'>;
  /** Largest batch (sum of the members' batch dimensions); at most the model's max_batch_size. */
  maxBatchSize: number;
  /** Ascending; a batch that reaches one of these goes at once. */
  preferredBatchSizes: number[];
  /** How long the oldest request may wait for others to join it. */
  maxQueueDelayMs: number;
  /** Batches of this model version at the backend at once. */
  maxBatchesInFlight: number;
  /** By priority level: index 0 is level 1, the highest (Triton's numbering). */
  queuePolicies: QueuePolicy[];
  /** Adaptive mode's objective for the time a request spends in the batcher and the backend. */
  p99ObjectiveMs: number;
}

/**
 * The gateway-wide part, from the environment (gateway-config.ts). `mode` auto: fixed where the
 * model has a dynamic_batching block, off elsewhere; `maxBatchesInFlight` 0: the model's instance
 * count × backend endpoints; `maxQueue` bounds each level where the model's queue policy does not.
 */
export type BatchingDefaults = GatewayConfig['batching'];

/** config.pbtxt parameter (Triton ignores it) that sets a model's own p99 objective. */
export const P99_OBJECTIVE_PARAMETER = 'gateway.batching.p99_objective_ms';

/**
 * The batching settings of a model, or undefined when its requests go to the backend one by one:
 * batching is off, or the model cannot batch (max_batch_size below 2).
 * `endpoints` is how many backend endpoints serve the model (Triton servers; 1 embedded).
 */
export function resolveBatchingSettings(
  metadata: ModelMetadata,
  defaults: BatchingDefaults,
  endpoints: number,
  warn: (message: string) => void = () => {},
): ModelBatchingSettings | undefined {
  if (metadata.maxBatchSize < 2) return undefined;
  const { schedulingChoice } = metadata.config;
  const block = schedulingChoice.case === 'dynamicBatching' ? schedulingChoice.value : undefined;
  const mode = defaults.mode === 'auto' ? (block ? 'fixed' : 'off') : defaults.mode;
  if (mode === 'off') return undefined;

  const maxBatchSize = Math.min(metadata.maxBatchSize, defaults.maxBatchSize ?? Infinity);
  const preferred = (block?.preferredBatchSize ?? []).filter(
    (size) => size >= 1 && size <= maxBatchSize,
  );
  const delayUs = defaults.maxQueueDelayUs ?? Number(block?.maxQueueDelayMicroseconds ?? 0n);
  return {
    mode,
    maxBatchSize,
    preferredBatchSizes: [...new Set(preferred)].sort((a, b) => a - b),
    maxQueueDelayMs: delayUs / 1000,
    maxBatchesInFlight:
      defaults.maxBatchesInFlight > 0
        ? defaults.maxBatchesInFlight
        : modelInstanceCount(metadata) * Math.max(1, endpoints),
    queuePolicies: queuePolicies(block, defaults.maxQueue),
    p99ObjectiveMs: p99Objective(metadata, defaults.p99ObjectiveMs, warn),
  };
}

/**
 * One policy per level. The gateway has two priorities (real-time, bulk), so there are always at
 * least two levels, even when the model enables none: real-time is level 1, bulk the last level.
 */
function queuePolicies(
  block: ModelDynamicBatching | undefined,
  maxQueue = Number.POSITIVE_INFINITY,
): QueuePolicy[] {
  const levels = Math.max(2, Number(block?.priorityLevels ?? 0n));
  return Array.from({ length: levels }, (_, index) => {
    const policy: ModelQueuePolicy | undefined =
      block?.priorityQueuePolicy[String(index + 1)] ?? block?.defaultQueuePolicy;
    return {
      maxQueueSize: policy && policy.maxQueueSize > 0 ? policy.maxQueueSize : maxQueue,
      timeoutMs: Number(policy?.defaultTimeoutMicroseconds ?? 0n) / 1000,
      allowTimeoutOverride: policy?.allowTimeoutOverride ?? false,
      onTimeout:
        policy?.timeoutAction === ModelQueuePolicy_TimeoutAction.DELAY ? 'delay' : 'reject',
    };
  });
}

/** Triton's instance_group: how many copies of the model one endpoint runs at once. */
function p99Objective(
  metadata: ModelMetadata,
  fallback: number,
  warn: (message: string) => void,
): number {
  const text = metadata.parameters[P99_OBJECTIVE_PARAMETER];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (Number.isFinite(value) && value > 0) return value;
  warn(
    `model '${metadata.name}': parameter ${P99_OBJECTIVE_PARAMETER} '${text}' is not a positive number of ms; using ${fallback}`,
  );
  return fallback;
}
