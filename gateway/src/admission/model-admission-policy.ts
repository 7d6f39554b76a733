import { Logger } from '@nestjs/common';
import type { GatewayConfig } from '../config/gateway-config';
import type { BackendTopology } from '../request-path/backend-topology';
import type { ModelMetadata } from '../request-path/inference-backend';
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
 * Reads each model version's admission parameters, once per version (its ServedVersion keeps the
 * result). A malformed parameter is an operator's mistake in a model repository, not the caller's:
 * it is logged once and the default applies.
 */
export class ModelAdmissionPolicies {
  private readonly logger = new Logger('Admission');

  constructor(private readonly defaults: Defaults) {}

  read(metadata: ModelMetadata): VersionAdmissionPolicy {
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
    const configured = this.defaults.maxInFlightPerModel || undefined;
    return new VersionAdmissionPolicy(
      {
        timeoutMs: parameter('timeoutMs', this.defaults.defaultTimeoutMs, 1),
        maxQueue: parameter('maxQueue', this.defaults.maxQueuePerModel, 0),
        adaptive: this.defaults.limit === 'adaptive',
        queueTarget: queueTarget(parameter('queueTargetMs', this.defaults.queueTargetMs, 0)),
      },
      parameter('maxInFlight', configured, 1),
      metadata,
    );
  }
}

/** One version's admission policy; its in-flight bound follows the backend's topology. */
export class VersionAdmissionPolicy {
  private current: ModelAdmissionPolicy | undefined;

  constructor(
    private readonly base: Omit<ModelAdmissionPolicy, 'maxInFlight'>,
    /** gateway.max_in_flight or GATEWAY_MAX_IN_FLIGHT_PER_MODEL; unset: derived from the topology. */
    private readonly maxInFlight: number | undefined,
    private readonly metadata: ModelMetadata,
  ) {}

  /** The policy for the backend as it is now; the same object while the bound stays the same. */
  at(topology: BackendTopology): ModelAdmissionPolicy {
    const maxInFlight = this.maxInFlight ?? autoInFlight(this.metadata, topology);
    const minInFlight = Math.min(maxInFlight, leastInFlight(topology));
    let current = this.current;
    if (current?.maxInFlight !== maxInFlight || current.minInFlight !== minInFlight) {
      current = { ...this.base, maxInFlight, minInFlight };
      this.current = current;
    }
    return current;
  }
}

/**
 * Enough requests at the backend for one batch (max_batch_size, 1 without batching) on each model
 * instance of each healthy endpoint, two in front of Triton (one running while the next forms
 * there). More would not be served sooner, only queue inside the backend, where deadlines and
 * priorities no longer apply, and stretch every call. Measured with detect at 10× capacity on two
 * cores (load-tests/overload), before the limit was learnt: 32 in flight served 3% of the offered
 * load, 16 served 6% (12% of real-time), 8 served 8% (31% of real-time); in-process, the gateway's
 * own decoding competes with the model for the same cores. With the adaptive limit this is the
 * most it may reach. No healthy endpoint counts as one: calls then fail fast at the backend.
 */
function autoInFlight(metadata: ModelMetadata, topology: BackendTopology): number {
  const batches = topology.remote ? 2 : 1;
  const batch = Math.max(1, metadata.maxBatchSize);
  return batches * batch * topology.instancesPerEndpoint * Math.max(1, topology.healthyEndpoints);
}

/**
 * The least the adaptive limit may go to: in front of a remote backend (Triton) one call running
 * and one waiting on each instance of each healthy endpoint, or the instance sits idle for the
 * round trip between calls. Measured with perf_analyzer through the gateway to Triton (CPU, one
 * instance): with a floor of 1 the learnt limit cost 15-20% of gRPC throughput against a fixed one.
 */
function leastInFlight(topology: BackendTopology): number {
  if (!topology.remote) return 1;
  return 2 * topology.instancesPerEndpoint * Math.max(1, topology.healthyEndpoints);
}

/** A queue target in ms; nothing set is one service time, 0 none. */
function queueTarget(ms: number | undefined): AdmissionLimits['queueTarget'] {
  if (ms === undefined) return 'service';
  return ms === 0 ? undefined : ms;
}
