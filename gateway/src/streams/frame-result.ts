import { create } from '@bufbuild/protobuf';
import {
  DropReason,
  FrameResultSchema,
  type DroppedFrame,
  type FrameResult,
} from '@contracts/generated/vision/v1/streams_pb';
import type { GatewayError } from '../errors/gateway-error';
import type { ArrivedFrame, FrameWork } from './frame-work';

/** A served frame's answer. */
export function servedResult(work: FrameWork, dropped: DroppedFrame[]): FrameResult {
  const { frame, detection } = work;
  return create(FrameResultSchema, {
    cameraId: frame.cameraId,
    seq: frame.seq,
    captureTimeMs: BigInt(Math.round(frame.captureTimeMs)),
    model: detection?.model ?? '',
    version: detection?.version ?? '',
    image: detection?.image,
    objects: work.objects.map((object) => ({
      trackId: BigInt(object.trackId),
      globalId: BigInt(object.globalId),
      label: object.label,
      classId: object.classId,
      score: object.score,
      box: { x1: object.box[0], y1: object.box[1], x2: object.box[2], y2: object.box[3] },
      velocity: { vx: object.velocity[0], vy: object.velocity[1] },
      forecast: object.forecast,
    })),
    timingsMs: work.timingsMs,
    dropped,
  });
}

/** A frame the gateway could not serve for a reason of the frame's own (a bad image, say). */
export function failedResult(
  frame: ArrivedFrame,
  error: GatewayError,
  dropped: DroppedFrame[],
): FrameResult {
  return create(FrameResultSchema, {
    cameraId: frame.cameraId,
    seq: frame.seq,
    captureTimeMs: BigInt(Math.round(frame.captureTimeMs)),
    error: { code: error.grpcStatus, message: error.message },
    dropped,
  });
}

/**
 * Failures that mean "not now" rather than "this frame is wrong": the frame is dropped and said so,
 * like a frame the queue let go. Others are answered as the frame's error.
 */
export function dropReasonOf(error: GatewayError): DropReason | undefined {
  switch (error.kind) {
    case 'resource_exhausted':
      // The rate limits say which limit in RateLimit-Policy; admission's full queue does not.
      return error.hints.headers?.['ratelimit-policy'] !== undefined
        ? DropReason.RATE_LIMITED
        : DropReason.OVERLOADED;
    case 'unavailable':
      return DropReason.OVERLOADED;
    case 'deadline_exceeded':
    case 'request_timeout':
      return DropReason.DEADLINE;
    default:
      return undefined;
  }
}

/** Reason names as metrics label them. */
export const DROP_REASON_LABEL: Record<DropReason, string> = {
  [DropReason.UNSPECIFIED]: 'unspecified',
  [DropReason.REPLACED]: 'replaced',
  [DropReason.QUEUE_FULL]: 'queue_full',
  [DropReason.DEADLINE]: 'deadline',
  [DropReason.RATE_LIMITED]: 'rate_limited',
  [DropReason.OVERLOADED]: 'overloaded',
};
