import {
  BackpressurePolicy,
  type AddSourceRequest,
} from '@contracts/generated/vision/v1/streams_pb';
import type { GatewayConfig, StreamSettings } from '../config/gateway-config';
import { invalidArgument } from '../errors/gateway-error';
import { quoted } from '../errors/quoted-value';
import {
  InvalidSourceError,
  validateSourceDescription,
  type SourceDescription,
  type SourceField,
} from '../sources';
import { resolveStreamConfig, type ResolvedStreamConfig } from './stream-config';

/** An AddSource request that passed every check. */
export interface AddSourcePlan {
  id: string;
  /** What the caller gave (echoed in Source.url with credentials redacted). */
  url: string;
  description: SourceDescription;
  config: ResolvedStreamConfig;
}

const SOURCE_ID = /^[a-z0-9-]{1,64}$/;
/** The proto's range (the sources code itself accepts up to 60). */
const MIN_SOURCE_FPS = 1;
const MAX_SOURCE_FPS = 30;

/** The proto field each description field comes from, so a refusal names what the caller sent. */
const PROTO_FIELD: Record<SourceField, string> = {
  url: 'url',
  fps: 'fps',
  maxWidth: 'max_width',
  loop: 'loop',
  realtime: 'url',
};

/** Validates an AddSource request, naming the proto field that is wrong (INVALID_ARGUMENT). */
export function planAddSource(
  request: AddSourceRequest,
  settings: StreamSettings,
  detectDefaults: GatewayConfig['detectDefaults'],
): AddSourcePlan {
  const id = checkedSourceId(request.id);
  if (request.fps < MIN_SOURCE_FPS || request.fps > MAX_SOURCE_FPS) {
    throw invalidArgument(`fps must be from ${MIN_SOURCE_FPS} to ${MAX_SOURCE_FPS}`);
  }
  const asked: SourceDescription = {
    url: request.url,
    fps: request.fps,
    loop: request.loop,
    ...(request.maxWidth !== 0 && { maxWidth: request.maxWidth }),
  };
  const kind = validated(asked).input.kind;
  // Files and HTTP inputs are read at their native rate (ffmpeg -re): a source is live video,
  // and unpaced a file would be decoded as fast as the CPU allows. RTSP is paced by the camera.
  const description: SourceDescription = { ...asked, realtime: kind !== 'rtsp' };
  if (!request.config) throw invalidArgument('config is required: it names the model at least');
  if (request.config.policy === BackpressurePolicy.BLOCK) {
    // BLOCK slows a sender through flow control; a pulled source has no sender to slow.
    throw invalidArgument(
      'config.policy BLOCK is for client streams; a source is live: use LATEST or DROP_OLDEST',
    );
  }
  const config = resolveStreamConfig(request.config, settings, detectDefaults);
  return { id, url: request.url, description, config };
}

/** A source id, or INVALID_ARGUMENT naming `id`. */
export function checkedSourceId(id: string): string {
  if (!SOURCE_ID.test(id)) {
    throw invalidArgument(`id ${quoted(id)} must be 1 to 64 characters of [a-z0-9-]`);
  }
  return id;
}

function validated(description: SourceDescription): ReturnType<typeof validateSourceDescription> {
  try {
    return validateSourceDescription(description);
  } catch (error) {
    if (!(error instanceof InvalidSourceError)) throw error;
    // The message starts with the description's field name; say the proto's instead.
    const reason = error.message.slice(error.field.length + 2);
    throw invalidArgument(`${PROTO_FIELD[error.field]} ${reason}`);
  }
}
