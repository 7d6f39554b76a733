import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import type { Priority } from '../inference/call-context';
import type { InferRequest, InferResponse } from '../inference/inference-backend';
import type { ResolvedTarget } from '../inference/resolved-target';
import type { InferenceContext, InferenceStage } from '../inference/stages/inference-stage';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { deadlineIn } from './call-bounds';
import { callWithinDeadline, type BackendEnd } from './call-within-deadline';
import { systemClock, type Clock } from './clock';
import { ModelAdmission, type AdmissionEvents } from './model-admission';
import { ModelAdmissionPolicies } from './model-admission-policy';

/**
 * The admit stage (after validate): gives every request a deadline (the caller's, else the model's
 * default), then lets it through to the backend only within its model version's bounds on requests
 * in flight and queued, real-time before bulk, and only while its deadline can still be met. See
 * ModelAdmission for the rules and docs/api.md "Deadlines, priorities and load shedding".
 */
@Injectable()
export class AdmitStage implements InferenceStage {
  readonly name = 'admit';
  private readonly models = new Map<string, ModelAdmission>();
  private readonly policies: ModelAdmissionPolicies;
  private readonly clock: Clock = systemClock;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly metrics: GatewayMetrics,
  ) {
    this.policies = new ModelAdmissionPolicies(
      config.admission,
      Math.max(1, config.triton.urls.length),
      config.triton.urls.length > 0,
    );
  }

  /** The admission state of a model version, if a request for it has been seen (tests, metrics). */
  admissionOf(model: string, version: string): ModelAdmission | undefined {
    return this.models.get(key(model, version));
  }

  async handle(
    context: InferenceContext,
    next: () => Promise<InferResponse>,
  ): Promise<InferResponse> {
    const { request, call, target } = context;
    if (!target) throw new Error('admit needs the validate stage first');
    // The vision path admitted the whole detect call before decoding its image (runAdmitted).
    if (call.admitted) return next();
    return this.runAdmitted(request, target, call.priority, next);
  }

  /**
   * Runs `work` as one admitted request of `request`'s model version, within its deadline (set on
   * `request` here when the caller gave none). For the tensor request path `work` is the rest of
   * the path; the vision path admits a detect call as a whole, before decoding its image, so under
   * overload a request that is shed costs no pixel work and the CPU goes to those that are served.
   */
  async runAdmitted<T>(
    request: Pick<InferRequest, 'deadline' | 'signal'>,
    target: ResolvedTarget,
    priority: Priority,
    work: () => Promise<T>,
  ): Promise<T> {
    const policy = this.policies.of(target.metadata);
    const deadline = request.deadline ?? deadlineIn(policy.timeoutMs, this.clock.now());
    request.deadline = deadline;
    const { model, version } = target;
    const admission = this.admission(model, version);
    admission.setLimits(policy);

    const permit = await admission.admit({
      priority,
      deadline,
      signal: request.signal,
    });
    const labels = { model, version, priority };
    const onEnd = (end: BackendEnd): void => {
      if (end === 'deadline')
        this.metrics.admissionExpired.inc({ ...labels, reason: 'at_backend' });
      if (end === 'cancelled')
        this.metrics.admissionCancelled.inc({ ...labels, where: 'in_flight' });
      const serviceMs = admission.estimate.serviceMs(this.clock.now());
      if (serviceMs !== undefined) {
        this.metrics.admissionServiceTime.set({ model, version }, serviceMs / 1000);
      }
    };
    return callWithinDeadline(request, deadline, work, permit, this.clock, admission.label, onEnd);
  }

  private admission(model: string, version: string): ModelAdmission {
    const id = key(model, version);
    let admission = this.models.get(id);
    if (!admission) {
      admission = new ModelAdmission(
        `model '${model}' version ${version}`,
        // Replaced by the model's policy before the first request (setLimits).
        { maxInFlight: 1, maxQueue: 0 },
        this.clock,
        this.eventsFor(model, version),
      );
      this.models.set(id, admission);
    }
    return admission;
  }

  private eventsFor(model: string, version: string): AdmissionEvents {
    const m = this.metrics;
    const labels = (priority: Priority) => ({ model, version, priority });
    return {
      admitted: (priority) => m.admissionAdmitted.inc(labels(priority)),
      shed: (priority, reason) => m.admissionShed.inc({ ...labels(priority), reason }),
      expired: (priority, reason) => m.admissionExpired.inc({ ...labels(priority), reason }),
      cancelled: (priority) => m.admissionCancelled.inc({ ...labels(priority), where: 'queued' }),
      changed: (inFlight, queued) => {
        m.admissionInFlight.set({ model, version }, inFlight);
        m.admissionQueueDepth.set({ model, version }, queued);
      },
    };
  }
}

function key(model: string, version: string): string {
  return `${model}\u0000${version}`;
}
