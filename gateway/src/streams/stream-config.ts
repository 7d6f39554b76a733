import { BackpressurePolicy, type StreamConfig } from '@contracts/generated/vision/v1/streams_pb';
import type { GatewayConfig, StreamSettings } from '../config/gateway-config';
import { invalidArgument } from '../errors/gateway-error';
import { quoted } from '../errors/quoted-value';
import { detectOptionsFromMessage } from '../vision/detect-options';
import type { DetectOptions } from '../vision/detect-types';
import type { BackpressurePolicyName } from './frame-queue';

/** A stream's terms, validated once when it opens. */
export interface ResolvedStreamConfig {
  model: string;
  /** '' until the first frame is routed; then every frame is pinned to that version. */
  version: string;
  policy: BackpressurePolicyName;
  maxQueuedFrames: number;
  frameDeadlineMs: number;
  options: DetectOptions;
  forecastHorizonsMs: readonly number[];
  reidentify: boolean;
}

const MAX_QUEUED_FRAMES = 64;
const MAX_HORIZONS = 8;
const MAX_HORIZON_MS = 5000;
export const DEFAULT_HORIZONS_MS: readonly number[] = [500, 1000, 2000];
const MODEL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

const POLICIES: Record<BackpressurePolicy, BackpressurePolicyName> = {
  [BackpressurePolicy.UNSPECIFIED]: 'latest',
  [BackpressurePolicy.LATEST]: 'latest',
  [BackpressurePolicy.DROP_OLDEST]: 'drop-oldest',
  [BackpressurePolicy.BLOCK]: 'block',
};

/** Validates a stream's config (its first frame's), naming the field that is wrong. */
export function resolveStreamConfig(
  config: StreamConfig | undefined,
  settings: StreamSettings,
  detectDefaults: GatewayConfig['detectDefaults'],
): ResolvedStreamConfig {
  if (!config) throw invalidArgument('the first frame of a stream must carry its config');
  if (!MODEL_NAME.test(config.model)) {
    throw invalidArgument(
      `config.model ${quoted(config.model)} must be a model name ([A-Za-z0-9_.-], 1 to 128 characters)`,
    );
  }
  const policy = POLICIES[config.policy];
  if (policy === undefined) {
    throw invalidArgument(`config.policy ${config.policy} is not a BackpressurePolicy value`);
  }
  const maxQueuedFrames =
    policy === 'latest' ? 1 : config.maxQueuedFrames === 0 ? 8 : config.maxQueuedFrames;
  if (config.maxQueuedFrames > MAX_QUEUED_FRAMES || maxQueuedFrames > MAX_QUEUED_FRAMES) {
    throw invalidArgument(`config.max_queued_frames must be from 1 to ${MAX_QUEUED_FRAMES}`);
  }
  if (config.frameDeadlineMs > 60_000) {
    throw invalidArgument('config.frame_deadline_ms must be at most 60000');
  }
  const horizons = config.forecastHorizonsMs;
  if (horizons.length > MAX_HORIZONS) {
    throw invalidArgument(`config.forecast_horizons_ms has more than ${MAX_HORIZONS} horizons`);
  }
  if (horizons.some((ms) => ms === 0 || ms > MAX_HORIZON_MS)) {
    throw invalidArgument(`config.forecast_horizons_ms must each be from 1 to ${MAX_HORIZON_MS}`);
  }
  return {
    model: config.model,
    version: config.version,
    policy,
    maxQueuedFrames,
    frameDeadlineMs: config.frameDeadlineMs || settings.frameDeadlineMs,
    options: detectOptionsFromMessage(config.options, detectDefaults),
    forecastHorizonsMs: horizons.length ? [...horizons].sort((a, b) => a - b) : DEFAULT_HORIZONS_MS,
    reidentify:
      (config.reidentify ?? true) &&
      (settings.reidModel !== '' || settings.reidEmbedding === 'colour-histogram'),
  };
}
