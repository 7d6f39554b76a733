import type { ServerDuplexStream } from '@grpc/grpc-js';
import { toBinary } from '@bufbuild/protobuf';
import {
  FrameResultSchema,
  type Frame,
  type FrameResult,
} from '@contracts/generated/vision/v1/streams_pb';
import type { MalformedMessage } from '@contracts/grpc/service-definition';
import type { CallBounds } from '../admission/call-bounds';
import { ACCESS, authorize } from '../auth/access-policy';
import type { GatewayConfig, StreamSettings } from '../config/gateway-config';
import { invalidArgument, toGatewayError } from '../errors/gateway-error';
import { decoded, toServiceError } from '../grpc-server/grpc-errors';
import { gateReads } from '../grpc-server/stream-read-gate';
import type { CallContext } from '../request-path/call-context';
import { failedResult } from './frame-result';
import { FrameServing } from './frame-serving';
import type { ArrivedFrame } from './frame-work';
import type { FramePipeline } from './frame-pipeline';
import { resolveStreamConfig } from './stream-config';
import type { StreamMetrics } from './stream-metrics';

export interface TrackStreamDeps {
  pipeline: FramePipeline;
  metrics: StreamMetrics;
  settings: StreamSettings;
  detectDefaults: GatewayConfig['detectDefaults'];
  /** Bytes of answers written and not yet taken by the client before serving pauses. */
  maxUnsentBytes: number;
}

const CAMERA_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * One StreamTrack call: reads frames (the first carries the config), serves them through
 * FrameServing, writes each answer in order. Under `block` reading stops while the queue is full,
 * so HTTP/2 flow control slows the sender; under the dropping policies reading goes on and the
 * queue lets frames go. Answers not yet taken by the client are bounded (maxUnsentBytes): past it
 * no frame is served until the client reads. A malformed message or a bad config ends the stream
 * with INVALID_ARGUMENT; a bad frame is answered with its error and the stream goes on.
 */
export class TrackStream {
  private serving?: FrameServing;
  private unsentBytes = 0;
  private closed = false;
  private readonly setReading: (open: boolean) => void;

  constructor(
    private readonly call: ServerDuplexStream<Frame | MalformedMessage, FrameResult>,
    private readonly context: CallContext,
    private readonly bounds: CallBounds & { signal: AbortSignal },
    private readonly deps: TrackStreamDeps,
    private readonly onClose: () => void,
  ) {
    this.setReading = gateReads(call);
  }

  start(): void {
    this.call.on('data', (message: Frame | MalformedMessage) => this.onMessage(message));
    this.call.on('end', () => void this.onEnd());
    this.call.on('cancelled', () => this.close());
    this.call.on('error', () => this.close());
    this.bounds.signal.addEventListener('abort', () => this.close(), { once: true });
  }

  private onMessage(message: Frame | MalformedMessage): void {
    if (this.closed) return;
    const arrivedAt = Date.now();
    let frame: Frame;
    try {
      frame = decoded(message);
      if (!this.serving) this.serving = this.open(frame);
      else if (frame.config)
        throw invalidArgument('only the first frame of a stream may carry a config');
    } catch (error) {
      this.fail(error);
      return;
    }
    const serving = this.serving;
    const problem = frameProblem(frame);
    const arrived: ArrivedFrame = {
      cameraId: frame.cameraId,
      seq: frame.seq,
      captureTimeMs: frame.captureTimeMs > 0n ? Number(frame.captureTimeMs) : arrivedAt,
      image: Buffer.from(frame.image.buffer, frame.image.byteOffset, frame.image.byteLength),
      arrivedAt,
      deadline: Math.min(
        arrivedAt + serving.frameDeadlineMs,
        this.bounds.deadline ?? Number.POSITIVE_INFINITY,
      ),
    };
    if (problem) {
      this.write(failedResult(arrived, invalidArgument(problem), []));
      this.deps.metrics.frames.inc({ outcome: 'failed' });
      return;
    }
    serving.offer(arrived);
    this.flow();
  }

  private open(frame: Frame): FrameServing {
    const config = resolveStreamConfig(frame.config, this.deps.settings, this.deps.detectDefaults);
    // Every frame is authorised again on its way; a caller without the model is told at once.
    authorize(this.context.caller, ACCESS.model, config.model);
    return new FrameServing({
      config,
      call: this.context,
      pipeline: this.deps.pipeline,
      metrics: this.deps.metrics,
      settings: this.deps.settings,
      signal: this.bounds.signal,
      sink: {
        write: (result) => this.write(result),
        ready: () => this.unsentBytes < this.deps.maxUnsentBytes,
      },
    });
  }

  private write(result: FrameResult): void {
    if (this.closed || this.call.cancelled) return;
    // The encoded size, once more than grpc-js needs; answers are small next to frames.
    const bytes = toBinary(FrameResultSchema, result).byteLength;
    this.unsentBytes += bytes;
    this.call.write(result, () => {
      this.unsentBytes -= bytes;
      this.serving?.pump();
      this.flow();
    });
  }

  /** `block`: read while the queue has room. Others read on (their queue drops by policy). */
  private flow(): void {
    const serving = this.serving;
    if (!serving || serving.policy !== 'block') return;
    this.setReading(!serving.full);
  }

  private async onEnd(): Promise<void> {
    if (this.closed) return;
    await this.serving?.finished();
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    this.call.end();
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.close();
    this.call.emit('error', toServiceError(toGatewayError(error)));
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.serving?.stop();
    this.onClose();
  }
}

/** What is wrong with a frame on its own (answered as its error), before it is queued. */
function frameProblem(frame: Frame): string | undefined {
  if (!CAMERA_ID.test(frame.cameraId)) {
    return 'camera_id must be 1 to 64 characters of [A-Za-z0-9_.:-]';
  }
  if (frame.image.byteLength === 0) return 'image is empty';
  if (frame.captureTimeMs < 0n) return 'capture_time_ms must not be negative';
  return undefined;
}
