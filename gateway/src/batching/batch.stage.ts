import { Inject, Injectable, Logger } from '@nestjs/common';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import {
  INFERENCE_BACKEND,
  type InferenceBackend,
  type InferRequest,
  type InferResponse,
} from '../request-path/inference-backend';
import type { ResolvedTarget } from '../request-path/resolved-target';
import type { InferenceContext, InferenceStage } from '../request-path/inference-stage';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import type { VersionPart } from '../serving/served-version';
import { ServedVersions } from '../serving/served-versions';
import { AdaptiveController } from './adaptive-controller';
import { Batcher } from './batcher';
import { batcherMetrics } from './batcher-metrics';
import { resolveBatchingSettings, type BatchingDefaults } from './batching-settings';
import { batchSizeOf } from './compatibility-key';

/** A queued request's way on: its context and the rest of the request path after this stage. */
interface Member {
  context: InferenceContext;
  next: (context?: InferenceContext) => Promise<InferResponse>;
  /** When it joined the queue (`performance.now()`): its `batch` stage time ends at dispatch. */
  queuedAt: number;
}

/**
 * The batch stage (after admit, before the backend call): requests of a model version that batches
 * wait in its Batcher and go on as one merged request per batch; the batch runs the rest of the
 * path once, with the first member's context and the merged request. Models that do not batch
 * (batching off, max_batch_size below 2) pass straight through. See docs/batching.md.
 */
@Injectable()
export class BatchStage implements InferenceStage {
  readonly name = 'batch';
  private readonly logger = new Logger('Batching');
  /** A served version's batcher; null where its requests go to the backend one by one. */
  private readonly part: VersionPart<Batcher<Member> | null> = {
    name: 'batcher',
    build: ({ target, label }) => this.batcherFor(target, label),
    // A dropped or reconfigured version's batcher sends what it holds and takes no more.
    close: (batcher) => batcher?.close(),
  };

  constructor(
    @Inject(CONFIG_SLICE.batching) private readonly defaults: ConfigSlice<'batching'>,
    private readonly metrics: GatewayMetrics,
    private readonly versions: ServedVersions,
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
  ) {}

  handle(
    context: InferenceContext,
    next: (context?: InferenceContext) => Promise<InferResponse>,
  ): Promise<InferResponse> {
    const { request, target } = context;
    const batcher = this.versions.of(target).part(this.part);
    if (!batcher || batchSizeOf(request) < 1) return next();
    // Real-time is Triton's priority level 1 (the highest); bulk the lowest level.
    const level = context.call.priority === 'bulk' ? batcher.levelCount - 1 : 0;
    return batcher.submit(request, level, { context, next, queuedAt: performance.now() });
  }

  /** The batcher of a model version, if a request for it has been batched (tests, diagnostics). */
  batcherOf(model: string, version: string): Batcher<Member> | undefined {
    return this.versions.find(model, version)?.peek(this.part) ?? undefined;
  }

  /**
   * `auto` leaves batching to a backend that batches the model itself (Triton's dynamic batcher
   * reads the same config.pbtxt block, sits next to the GPU and sees every replica's traffic:
   * batching twice only waits twice). Batches in flight follow the endpoints serving the version
   * when its batcher is built.
   */
  private batcherFor(target: ResolvedTarget, label: string): Batcher<Member> | null {
    const { model, version, metadata } = target;
    const topology = this.backend.topology(target);
    const defaults: BatchingDefaults =
      topology.batchesItself && this.defaults.mode === 'auto'
        ? { ...this.defaults, mode: 'off' }
        : this.defaults;
    const settings = resolveBatchingSettings(
      metadata,
      defaults,
      topology.healthyEndpoints,
      (message) => this.logger.warn(message),
    );
    if (!settings) return null;
    const batcher = new Batcher<Member>({
      label,
      settings,
      dispatch: dispatchBatch,
      tuner:
        settings.mode === 'adaptive'
          ? new AdaptiveController({
              objectiveMs: settings.p99ObjectiveMs,
              initial: settings,
              maxBatchSize: settings.maxBatchSize,
            })
          : undefined,
      observer: batcherMetrics(this.metrics, model, version, settings.queuePolicies.length),
    });
    this.logger.log(
      `${label}: ${settings.mode} batching, up to ${settings.maxBatchSize} (preferred ${settings.preferredBatchSizes.join('/') || 'none'}), ` +
        `queue delay ${settings.maxQueueDelayMs} ms, ${settings.maxBatchesInFlight} batch(es) in flight` +
        (settings.mode === 'adaptive' ? `, p99 objective ${settings.p99ObjectiveMs} ms` : ''),
    );
    return batcher;
  }
}

/**
 * A batch goes on with its first member's context (its trace carries the backend hop); each
 * member's record gets its wait (`batch`) and the others the batch's `backend` time. Each
 * member's wait is queue time in its statistics, and the merged request carries every member's
 * durations, so the backend's time counts for each of them.
 */
function dispatchBatch(request: InferRequest, members: readonly Member[]): Promise<InferResponse> {
  const sent = performance.now();
  for (const member of members) {
    member.context.call.trace?.stageEnded('batch', member.queuedAt);
    for (const durations of member.context.durations) {
      durations.queueNs += (sent - member.queuedAt) * 1e6;
    }
  }
  const durations = members.flatMap((member) => member.context.durations);
  const answer = members[0].next({ ...members[0].context, request, durations });
  if (members.length > 1) {
    const backendEnded = (): void => {
      for (let index = 1; index < members.length; index += 1) {
        members[index].context.call.trace?.stageEnded('backend', sent);
      }
    };
    answer.then(backendEnded, backendEnded);
  }
  return answer;
}
