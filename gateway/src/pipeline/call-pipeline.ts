import { Inject, Injectable, Optional } from '@nestjs/common';
import { AdmitStage } from '../admission/admit.stage';
import { AuthorizeStage } from '../auth/authorize.stage';
import type { CallContext } from '../request-path/call-context';
import { INFERENCE_BACKEND, type InferenceBackend } from '../request-path/inference-backend';
import { RateLimitStage } from '../rate-limits/rate-limit.stage';
import { RouteStage } from '../routing/route.stage';
import { RoutingMetrics } from '../routing/routing-metrics';
import { RoutingState } from '../routing/routing-state';
import type { CallAsk, CallGuard, CallWork, GuardedCall } from '../request-path/call-work';
import { PrecheckStage } from './precheck.stage';
import { CallStatistics } from '../call-statistics/call-statistics';
import { toGatewayError } from '../errors/gateway-error';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { ShadowCopies } from '../shadowing/shadow-copies';
import { ModelStatisticsRecorder } from '../model-statistics/model-statistics.recorder';
import { newCallDurations } from '../request-path/model-statistics';

/**
 * Every call, from every front door (KServe REST and gRPC, each stream message, detect REST and
 * gRPC), in one ordered list: authorize → rate-limit → route → precheck → admit, then the call's
 * work while it holds its admission slot. Each guard runs once per call; the work (tensor:
 * batch → backend; detect: decode → … → map-boxes) has no guard inside. Authentication happens
 * at the front door (HTTP hook, gRPC interceptor), before a body is read. Once the call answered,
 * its outcome is counted for the version that served it (CallStatistics: the canary analysis'
 * input) and the shadow copies route sampled it for start apart from it (ShadowCopies).
 */
@Injectable()
export class CallPipeline {
  private readonly guards: readonly CallGuard[];

  constructor(
    @Inject(INFERENCE_BACKEND) backend: InferenceBackend,
    rateLimit: RateLimitStage,
    private readonly admit: AdmitStage,
    private readonly statistics: CallStatistics,
    private readonly shadows: ShadowCopies,
    private readonly recorder: ModelStatisticsRecorder,
    private readonly metrics: GatewayMetrics,
    // Absent only where a test builds the pipeline by hand: identity routing then.
    @Optional() routing?: RoutingState,
    @Optional() routingMetrics?: RoutingMetrics,
  ) {
    const route = new RouteStage(backend, routing, routingMetrics);
    this.guards = [new AuthorizeStage(), rateLimit, route, new PrecheckStage()];
  }

  /** The stages in the order a call meets them. */
  get stageNames(): string[] {
    return [...this.guards.map((guard) => guard.name), this.admit.name, 'work'];
  }

  /**
   * Runs `work` for `call` once every guard let it through. `timingsMs`, when given, gets each
   * guard's time and the admission wait (`admit`: from asking for a slot to the work's start).
   */
  async run<T>(
    call: CallContext,
    ask: CallAsk,
    work: CallWork<T>,
    timingsMs?: Record<string, number>,
  ): Promise<T> {
    const guarded: GuardedCall<T> = { call, ask, work };
    // The call's record (access log, trace): each stage's time, the model and routed version (a
    // companion's model, such as a frame's embedder, is not the call's).
    const trace = call.trace;
    if (!call.companion) trace?.routed(ask.model);
    for (const guard of this.guards) {
      const started = performance.now();
      try {
        await guard.check(guarded);
      } catch (error) {
        trace?.stageEnded(guard.name, started, error);
        throw error;
      }
      if (timingsMs) timingsMs[guard.name] = elapsedMs(started);
      trace?.stageEnded(guard.name, started);
    }
    const { target, route } = guarded;
    if (!target || !route) throw new Error('the route stage resolved no target');
    if (!call.companion) trace?.routed(target.model, target.version);
    const durations = newCallDurations();
    const asked = performance.now();
    let slotTaken = false;
    let answer: T;
    try {
      answer = await this.admit.run({ call, ask, target }, (admitted) => {
        slotTaken = true;
        trace?.stageEnded(this.admit.name, asked);
        const waitedMs = performance.now() - asked;
        durations.queueNs += waitedMs * 1e6;
        if (timingsMs) timingsMs[this.admit.name] = Math.round(waitedMs * 100) / 100;
        return work.run({ ...admitted, durations });
      });
    } catch (error) {
      if (!slotTaken) trace?.stageEnded(this.admit.name, asked, error);
      const { kind, httpStatus } = toGatewayError(error);
      const ms = performance.now() - asked;
      const outcome = GatewayMetrics.outcomeOf(httpStatus);
      this.statistics.recordPrimary({ target, route, outcome, ms });
      this.recorder.callEnded(target, { ok: false, ns: ms * 1e6, kind });
      if (!call.companion) this.metrics.countTenantCall(call.caller.tenant, target, outcome, 0);
      throw error;
    }
    const ms = performance.now() - asked;
    const detections = work.detectionsOf?.(answer);
    this.statistics.recordPrimary({ target, route, outcome: 'ok', ms, detections });
    this.recorder.callEnded(target, { ok: true, ns: ms * 1e6, durations, images: call.images });
    if (!call.companion)
      this.metrics.countTenantCall(call.caller.tenant, target, 'ok', call.images);
    this.shadows.copy({ call, target, shadows: route.shadows, work, answer });
    return answer;
  }
}

function elapsedMs(since: number): number {
  return Math.round((performance.now() - since) * 100) / 100;
}
