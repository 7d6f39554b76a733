import { Logger } from '@nestjs/common';
import type { GatewayConfig } from '../config/gateway-config';
import type { ModelMetadata } from '../inference/inference-backend';
import { modelInstanceCount } from '../inference/model-instances';
import { MAX_TIMER_MS } from './clock';
import type { AdmissionLimits } from './model-admission';

/** How one model version is admitted; the gateway-wide defaults unless its config.pbtxt says otherwise. */
export interface ModelAdmissionPolicy extends AdmissionLimits {
  /** Deadline of a request whose caller gave none. */
  timeoutMs: number;
}

/** config.pbtxt `parameters` the gateway reads for admission (Triton ignores them). */
export const POLICY_PARAMETERS = {
  timeoutMs: 'gateway.timeout_ms',
  maxInFlight: 'gateway.max_in_flight',
  maxQueue: 'gateway.max_queue',
  queueTargetMs: 'gateway.queue_target_ms',
} as const;

type Defaults = GatewayConfig['admission'];

/**
 * The policy of each model from its parameters, computed once per metadata object (a backend
 * replaces the object when the model's config changes). A malformed parameter is an operator's
 * mistake in a model repository, not the caller's: it is logged once and the default applies.
 */
export class ModelAdmissionPolicies {
  private readonly logger = new Logger('Admission');
  private readonly cache = new WeakMap<ModelMetadata, ModelAdmissionPolicy>();

  /**
   * `endpoints`: backend endpoints serving each model (Triton servers; 1 embedded).
   * `remote`: the backend runs elsewhere (Triton), so a second batch may wait there while one runs.
   */
  constructor(
    private readonly defaults: Defaults,
    private readonly endpoints = 1,
    private readonly remote = false,
  ) {}

  of(metadata: ModelMetadata): ModelAdmissionPolicy {
    let policy = this.cache.get(metadata);
    if (!policy) {
      policy = this.read(metadata);
      this.cache.set(metadata, policy);
    }
    return policy;
  }

  private read(metadata: ModelMetadata): ModelAdmissionPolicy {
    const parameter = <T>(key: keyof typeof POLICY_PARAMETERS, fallback: T, min: number) => {
      const name = POLICY_PARAMETERS[key];
      const text = metadata.parameters[name];
      if (text === undefined || text.trim() === '') return fallback;
      const value = Number(text);
      if (Number.isInteger(value) && value >= min && value <= MAX_TIMER_MS) return value;
      this.logger.warn(
        `model '${metadata.name}': parameter ${name} '${text}' is not an integer in ${min}..${MAX_TIMER_MS}; using ${String(fallback ?? 'the default')}`,
      );
      return fallback;
    };
    return {
      timeoutMs: parameter('timeoutMs', this.defaults.defaultTimeoutMs, 1),
      maxInFlight: parameter(
        'maxInFlight',
        this.defaults.maxInFlightPerModel || this.autoInFlight(metadata),
        1,
      ),
      maxQueue: parameter('maxQueue', this.defaults.maxQueuePerModel, 0),
      adaptive: this.defaults.limit === 'adaptive',
      queueTarget: queueTarget(parameter('queueTargetMs', this.defaults.queueTargetMs, 0)),
    };
  }

  /**
   * Enough requests at the backend for one batch (max_batch_size, 1 without batching) on each model
   * instance of each endpoint, two in front of Triton (one running while the next forms there).
   * More would not be served sooner, only queue inside the backend, where deadlines and priorities
   * no longer apply, and stretch every call. Measured with detect at 10× capacity on two cores
   * (load-tests/overload): 32 in flight served 3% of the offered load, 16 served 6% (12% of
   * real-time), 8 served 8% (31% of real-time); in-process, the gateway's own decoding competes
   * with the model for the same cores.
   */
  private autoInFlight(metadata: ModelMetadata): number {
    const batches = this.remote ? 2 : 1;
    const batch = Math.max(1, metadata.maxBatchSize);
    return batches * batch * modelInstanceCount(metadata) * this.endpoints;
  }
}

/** A queue target in ms; nothing set is one service time, 0 none. */
function queueTarget(ms: number | undefined): AdmissionLimits['queueTarget'] {
  if (ms === undefined) return 'service';
  return ms === 0 ? undefined : ms;
}
