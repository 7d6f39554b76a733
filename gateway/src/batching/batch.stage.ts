import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import type { InferResponse, ModelMetadata } from '../inference/inference-backend';
import type { InferenceContext, InferenceStage } from '../inference/stages/inference-stage';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { AdaptiveController } from './adaptive-controller';
import { Batcher } from './batcher';
import { batcherMetrics } from './batcher-metrics';
import {
  resolveBatchingSettings,
  type BatchingDefaults,
  type ModelBatchingSettings,
} from './batching-settings';
import { batchSizeOf } from './compatibility-key';

/** A queued request's way on: its context and the rest of the request path after this stage. */
interface Member {
  context: InferenceContext;
  next: (context?: InferenceContext) => Promise<InferResponse>;
}

interface ModelBatcher {
  /** The settings it was built with, to notice when a backend reports a changed config. */
  signature: string;
  batcher: Batcher<Member>;
}

/**
 * The batch stage (after admit, before the backend call): requests of a model version that batches
 * wait in its Batcher and go on as one merged request per batch; the batch runs the rest of the
 * path once, with the first member's context and the merged request. Models that do not batch
 * (batching off, max_batch_size below 2) pass straight through. See docs/batching.md.
 */
@Injectable()
export class BatchStage implements InferenceStage, OnApplicationShutdown {
  readonly name = 'batch';
  private readonly logger = new Logger('Batching');
  private readonly defaults: BatchingDefaults;
  private readonly endpoints: number;
  private readonly settings = new WeakMap<ModelMetadata, ModelBatchingSettings | null>();
  private readonly batchers = new Map<string, ModelBatcher>();

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly metrics: GatewayMetrics,
  ) {
    // `auto` leaves batching to Triton's own dynamic batcher, which reads the same config.pbtxt
    // block, sits next to the GPU and sees every replica's traffic: batching twice only waits twice.
    const behindTriton = config.triton.urls.length > 0;
    this.defaults =
      behindTriton && config.batching.mode === 'auto'
        ? { ...config.batching, mode: 'off' }
        : config.batching;
    this.endpoints = Math.max(1, config.triton.urls.length);
  }

  handle(
    context: InferenceContext,
    next: (context?: InferenceContext) => Promise<InferResponse>,
  ): Promise<InferResponse> {
    const { request, target } = context;
    const settings = this.settingsOf(target.metadata);
    if (!settings || batchSizeOf(request) < 1) return next();
    const batcher = this.batcherFor(target.model, target.version, settings);
    // Real-time is Triton's priority level 1 (the highest); bulk the lowest level.
    const level = context.call.priority === 'bulk' ? batcher.levelCount - 1 : 0;
    return batcher.submit(request, level, { context, next });
  }

  /** The batcher of a model version, if a request for it has been batched (tests, diagnostics). */
  batcherOf(model: string, version: string): Batcher<Member> | undefined {
    return this.batchers.get(key(model, version))?.batcher;
  }

  onApplicationShutdown(): void {
    for (const { batcher } of this.batchers.values()) batcher.close();
  }

  private settingsOf(metadata: ModelMetadata): ModelBatchingSettings | undefined {
    let settings = this.settings.get(metadata);
    if (settings === undefined) {
      settings =
        resolveBatchingSettings(metadata, this.defaults, this.endpoints, (message) =>
          this.logger.warn(message),
        ) ?? null;
      this.settings.set(metadata, settings);
    }
    return settings ?? undefined;
  }

  /**
   * One batcher per model version. A backend hands out new metadata objects as it rediscovers
   * models; only changed settings replace the batcher (the old one drains what it holds).
   */
  private batcherFor(
    model: string,
    version: string,
    settings: ModelBatchingSettings,
  ): Batcher<Member> {
    const id = key(model, version);
    const signature = JSON.stringify(settings);
    const existing = this.batchers.get(id);
    if (existing?.signature === signature) return existing.batcher;

    const label = `model '${model}' version ${version}`;
    const batcher = new Batcher<Member>({
      label,
      settings,
      dispatch: (request, members) => members[0].next({ ...members[0].context, request }),
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
    this.batchers.set(id, { signature, batcher });
    this.logger.log(
      `${label}: ${settings.mode} batching, up to ${settings.maxBatchSize} (preferred ${settings.preferredBatchSizes.join('/') || 'none'}), ` +
        `queue delay ${settings.maxQueueDelayMs} ms, ${settings.maxBatchesInFlight} batch(es) in flight` +
        (settings.mode === 'adaptive' ? `, p99 objective ${settings.p99ObjectiveMs} ms` : ''),
    );
    return batcher;
  }
}

function key(model: string, version: string): string {
  return `${model}\u0000${version}`;
}
