import { Inject, Injectable } from '@nestjs/common';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import type { CallContext, Priority } from '../request-path/call-context';
import { INFERENCE_BACKEND, type InferenceBackend } from '../request-path/inference-backend';
import type { ResolvedTarget } from '../request-path/resolved-target';
import type { AdmittedCall, CallAsk } from '../request-path/call-work';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import type { VersionPart } from '../serving/served-version';
import { ServedVersions } from '../serving/served-versions';
import { deadlineIn } from './call-bounds';
import { callWithinDeadline, type BackendEnd } from './call-within-deadline';
import { systemClock, type Clock } from './clock';
import { ModelAdmission, type AdmissionEvents } from './model-admission';
import { ModelAdmissionPolicies, type VersionAdmissionPolicy } from './model-admission-policy';

/** A served version's admission: its queue and its policy. */
interface VersionAdmission {
  admission: ModelAdmission;
  policy: VersionAdmissionPolicy;
}

/**
 * The admit stage, last guard of the call pipeline: gives the call a deadline (the caller's, else
 * the version's default), then runs its work only within the version's bounds on calls in flight
 * and queued, real-time before bulk, and only while its deadline can still be met. The work holds
 * its slot until it is done: a detect call is admitted as a whole, before its image is decoded, so
 * under overload a call that is shed costs no pixel work. See ModelAdmission for the rules and
 * docs/api.md "Deadlines, priorities and load shedding".
 */
@Injectable()
export class AdmitStage {
  readonly name = 'admit';
  private readonly clock: Clock = systemClock;
  private readonly part: VersionPart<VersionAdmission>;

  constructor(
    @Inject(CONFIG_SLICE.admission) settings: ConfigSlice<'admission'>,
    private readonly metrics: GatewayMetrics,
    private readonly versions: ServedVersions,
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
  ) {
    const policies = new ModelAdmissionPolicies(settings);
    this.part = {
      name: 'admission',
      build: ({ target, label }) => {
        const policy = policies.read(target.metadata);
        const { model, version } = target;
        const admission = new ModelAdmission(
          label,
          policy.at(this.backend.topology(target)),
          this.clock,
          this.eventsFor(model, version),
        );
        return { admission, policy };
      },
    };
  }

  /** The admission state of a model version, if a call for it has been seen (tests, metrics). */
  admissionOf(model: string, version: string): ModelAdmission | undefined {
    return this.versions.find(model, version)?.peek(this.part)?.admission;
  }

  /**
   * Runs `work` as one admitted call of `target`, within its deadline; `work` gets the receipt
   * (deadline, and a signal that aborts at it or when the caller goes away).
   */
  async run<T>(
    { call, ask, target }: { call: CallContext; ask: CallAsk; target: ResolvedTarget },
    work: (admitted: AdmittedCall) => Promise<T>,
  ): Promise<T> {
    const { admission, policy: versionPolicy } = this.versions.of(target).part(this.part);
    // The in-flight bound follows the endpoints serving the version now.
    const policy = versionPolicy.at(this.backend.topology(target));
    admission.setLimits(policy);
    const deadline = ask.deadline ?? deadlineIn(policy.timeoutMs, this.clock.now());
    const { model, version } = target;
    const { priority } = call;

    const permit = await admission.admit({ priority, deadline, signal: ask.signal });
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
    return callWithinDeadline(
      ask.signal,
      deadline,
      (signal) => work({ call, target, deadline, signal }),
      permit,
      this.clock,
      admission.label,
      onEnd,
    );
  }

  private eventsFor(model: string, version: string): AdmissionEvents {
    const m = this.metrics;
    const labels = (priority: Priority) => ({ model, version, priority });
    return {
      admitted: (priority) => m.admissionAdmitted.inc(labels(priority)),
      shed: (priority, reason) => m.admissionShed.inc({ ...labels(priority), reason }),
      expired: (priority, reason) => m.admissionExpired.inc({ ...labels(priority), reason }),
      cancelled: (priority) => m.admissionCancelled.inc({ ...labels(priority), where: 'queued' }),
      limited: (limit) => m.admissionLimit.set({ model, version }, limit),
      changed: (inFlight, queued) => {
        m.admissionInFlight.set({ model, version }, inFlight);
        m.admissionQueueDepth.set({ model, version }, queued);
      },
    };
  }
}
