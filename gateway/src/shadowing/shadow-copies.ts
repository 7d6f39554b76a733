import { Inject, Injectable, Logger } from '@nestjs/common';
import { AdmitStage } from '../admission/admit.stage';
import { CallStatistics, type ShadowPair } from '../call-statistics/call-statistics';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import { INFERENCE_BACKEND, type InferenceBackend } from '../request-path/inference-backend';
import type { CallContext } from '../request-path/call-context';
import type { AdmittedCall, CallWork } from '../request-path/call-work';
import type { ResolvedTarget } from '../request-path/resolved-target';
import type { ShadowCopy } from '../request-path/route-decision';

/** A primary call that answered, with the shadows the route stage sampled it for. */
export interface AnsweredCall<T> {
  call: CallContext;
  target: ResolvedTarget;
  shadows: readonly ShadowCopy[];
  work: CallWork<T>;
  answer: T;
}

/**
 * Runs a call's shadow copies after and apart from it: started once the primary answer is on its
 * way (setImmediate, after the answer's own continuation), on their own budget of copies in flight
 * (GATEWAY_SHADOW_MAX_IN_FLIGHT), never through the primary's admission slots. Dropped first under
 * load: when the budget is spent, when the copied call's version has calls waiting for admission,
 * when the shadow version is serving calls of its own, or when a copy to it is still running. A copy's failure is counted, never seen by the caller; its answer is compared with
 * the primary's and recorded (CallStatistics), never returned.
 */
@Injectable()
export class ShadowCopies {
  private readonly logger = new Logger('ShadowCopies');
  private inFlight = 0;
  /**
   * Shadow versions with a copy running: one at a time each, so a call of the shadow version's own
   * (a canary's) waits behind at most one copy.
   */
  private readonly copying = new Set<string>();

  constructor(
    @Inject(CONFIG_SLICE.shadows) private readonly settings: ConfigSlice<'shadows'>,
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    private readonly admit: AdmitStage,
    private readonly statistics: CallStatistics,
  ) {}

  /** Copies in flight now (tests, benchmarks). */
  get running(): number {
    return this.inFlight;
  }

  copy<T>(answered: AnsweredCall<T>): void {
    if (answered.shadows.length === 0) return;
    setImmediate(() => {
      for (const shadow of answered.shadows) this.start(answered, shadow.version);
    });
  }

  private start<T>(answered: AnsweredCall<T>, version: string): void {
    const { target, work, call, answer } = answered;
    const pair: ShadowPair = {
      model: target.model,
      primaryVersion: target.version,
      shadowVersion: version,
    };
    const run = work.shadow?.bind(work);
    const shadowKey = `${target.model}\u0000${version}`;
    const busy =
      this.inFlight >= this.settings.maxInFlight ||
      this.copying.has(shadowKey) ||
      this.isQueueing(target.model, target.version) ||
      this.isServing(target.model, version);
    if (!run || busy) {
      this.statistics.recordShadow(pair, { outcome: 'dropped' });
      return;
    }
    const started = performance.now();
    const failed = (error: unknown): void => {
      this.statistics.recordShadow(pair, { outcome: 'error', ms: performance.now() - started });
      this.logger.debug(
        `shadow copy to ${target.model} version ${version} failed: ${String(error)}`,
      );
    };
    let admitted: AdmittedCall;
    try {
      const shadowTarget = this.backend.resolve(target.model, version);
      work.precheck(shadowTarget);
      admitted = {
        // Bulk: where a copy does meet a queue (a batcher), the primary calls go first. Not
        // part of the primary's trace or access log line, which may already be written.
        call: { ...call, priority: 'bulk', trace: undefined },
        target: shadowTarget,
        deadline: Date.now() + this.settings.timeoutMs,
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      };
    } catch (error) {
      failed(error);
      return;
    }
    this.inFlight += 1;
    this.copying.add(shadowKey);
    run(admitted, answer)
      .then((shadowAnswer) => {
        this.statistics.recordShadow(pair, {
          outcome: 'compared',
          ms: performance.now() - started,
          primary: work.detectionsOf?.(answer),
          shadow: work.detectionsOf?.(shadowAnswer),
        });
      }, failed)
      .finally(() => {
        this.inFlight -= 1;
        this.copying.delete(shadowKey);
      });
  }

  /** Calls of a version waiting for a slot: its backend has no room to spare for copies. */
  private isQueueing(model: string, version: string): boolean {
    return (this.admit.admissionOf(model, version)?.queuedCount ?? 0) > 0;
  }

  /**
   * The shadow version serving calls of its own (a canary) now: a copy started then would delay
   * them, and the analysis would judge the canary on the delay its own copies caused.
   */
  private isServing(model: string, version: string): boolean {
    const admission = this.admit.admissionOf(model, version);
    return (admission?.queuedCount ?? 0) > 0 || (admission?.inFlightCount ?? 0) > 0;
  }
}
