import { create } from '@bufbuild/protobuf';
import {
  DroppedFrameSchema,
  FrameResultSchema,
  DropReason,
  type DroppedFrame,
  type FrameResult,
} from '@contracts/generated/vision/v1/streams_pb';
import type { StreamSettings } from '../config/gateway-config';
import { invalidArgument, toGatewayError } from '../errors/gateway-error';
import type { CallContext } from '../request-path/call-context';
import { CameraState } from './camera-state';
import { FrameQueue } from './frame-queue';
import { DROP_REASON_LABEL, dropReasonOf, failedResult, servedResult } from './frame-result';
import type { ArrivedFrame, FrameWork } from './frame-work';
import type { FramePipeline } from './frame-pipeline';
import type { ResolvedStreamConfig } from './stream-config';
import type { StreamMetrics } from './stream-metrics';

/** Where results go, and whether it can take another now (its unsent bytes are bounded). */
export interface ResultSink {
  write(result: FrameResult): void;
  ready(): boolean;
}

export interface FrameServingOptions {
  config: ResolvedStreamConfig;
  call: CallContext;
  pipeline: FramePipeline;
  metrics: StreamMetrics;
  settings: StreamSettings;
  sink: ResultSink;
  /** Aborted when the stream goes away: the frame in progress stops between stages. */
  signal: AbortSignal;
}

/** Drop notices a result carries at most; older ones are only counted (metrics). */
const MAX_PENDING_NOTICES = 1024;

/**
 * The frames of one stream (or one source), served one at a time in arrival order: queued by the
 * stream's backpressure policy, dropped unserved once past their deadline, each run through the
 * frame pipeline with its camera's tracking state, answered to the sink with the drops since the
 * previous answer. A frame is taken from the queue only when the sink can take its answer, so a
 * slow reader makes frames wait (and go by policy) instead of answers pile up.
 */
export class FrameServing {
  private readonly queue: FrameQueue<ArrivedFrame>;
  private readonly cameras = new Map<string, CameraState>();
  private notices: DroppedFrame[] = [];
  private busy = false;
  private idle?: () => void;

  constructor(private readonly options: FrameServingOptions) {
    const { config } = options;
    this.queue = new FrameQueue(config.policy, config.maxQueuedFrames, (frame, reason) =>
      this.drop(frame, reason),
    );
  }

  get policy(): ResolvedStreamConfig['policy'] {
    return this.options.config.policy;
  }

  get frameDeadlineMs(): number {
    return this.options.config.frameDeadlineMs;
  }

  /** Whether a `block` stream should stop reading. */
  get full(): boolean {
    return this.queue.full;
  }

  get cameraCount(): number {
    return this.cameras.size;
  }

  offer(frame: ArrivedFrame): void {
    this.queue.push(frame);
    this.pump();
  }

  /** Serves the next frame when nothing is in progress and the sink can take an answer. */
  pump(): void {
    if (this.busy || this.options.signal.aborted) return;
    if (!this.options.sink.ready()) return;
    const frame = this.queue.shift();
    if (!frame) {
      this.idle?.();
      return;
    }
    if (Date.now() >= frame.deadline) {
      this.drop(frame, DropReason.DEADLINE);
      this.pump();
      return;
    }
    this.busy = true;
    void this.serve(frame).finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  /**
   * Resolves once every queued frame was served or dropped; drops not yet told (no frame was
   * answered after them) go out in a last result that carries only them.
   */
  finished(): Promise<void> {
    return new Promise((resolve) => {
      this.idle = () => {
        if (this.notices.length > 0) {
          this.options.sink.write(create(FrameResultSchema, { dropped: this.takeNotices() }));
        }
        resolve();
      };
      this.pump();
    });
  }

  /** The stream went away: what waits is dropped (counted), nothing more is served. */
  stop(): void {
    this.queue.drain(DropReason.UNSPECIFIED);
  }

  private async serve(frame: ArrivedFrame): Promise<void> {
    const { metrics, sink, signal, config } = this.options;
    const queuedMs = Date.now() - frame.arrivedAt;
    const started = performance.now();
    try {
      const work: FrameWork = {
        call: this.options.call,
        config,
        frame,
        camera: this.cameraOf(frame),
        signal,
        objects: [],
        timingsMs: { queue: queuedMs },
      };
      await this.options.pipeline.serve(work);
      work.timingsMs.total = Math.round((performance.now() - started) * 100) / 100;
      if (signal.aborted) return;
      sink.write(servedResult(work, this.takeNotices()));
      metrics.frames.inc({ outcome: 'served' });
      metrics.frameDuration.observe(
        { model: work.detection?.model ?? config.model },
        (Date.now() - frame.arrivedAt) / 1000,
      );
    } catch (error) {
      if (signal.aborted) return;
      const gatewayError = toGatewayError(error);
      if (gatewayError.kind === 'cancelled') return;
      const reason = dropReasonOf(gatewayError);
      if (reason !== undefined) {
        this.drop(frame, reason);
        return;
      }
      sink.write(failedResult(frame, gatewayError, this.takeNotices()));
      metrics.frames.inc({ outcome: 'failed' });
    }
  }

  private cameraOf(frame: ArrivedFrame): CameraState {
    let camera = this.cameras.get(frame.cameraId);
    if (!camera) {
      if (this.cameras.size >= this.options.settings.maxCameras) {
        throw invalidArgument(
          `camera_id '${frame.cameraId}' would be camera ${this.cameras.size + 1} of this stream; a stream carries at most ${this.options.settings.maxCameras} (GATEWAY_STREAM_MAX_CAMERAS)`,
        );
      }
      camera = new CameraState(frame.cameraId, this.options.config.options.scoreThreshold);
      this.cameras.set(frame.cameraId, camera);
    }
    if (!camera.isAfterLast(frame.seq)) {
      throw invalidArgument(
        `seq ${frame.seq} of camera '${frame.cameraId}' is not after the last frame served for it: seq must increase per camera`,
      );
    }
    return camera;
  }

  private drop(frame: ArrivedFrame, reason: DropReason): void {
    this.options.metrics.frames.inc({ outcome: 'dropped' });
    this.options.metrics.droppedFrames.inc({ reason: DROP_REASON_LABEL[reason] });
    if (reason === DropReason.UNSPECIFIED) return;
    this.notices.push(
      create(DroppedFrameSchema, { cameraId: frame.cameraId, seq: frame.seq, reason }),
    );
    if (this.notices.length > MAX_PENDING_NOTICES) this.notices.shift();
  }

  private takeNotices(): DroppedFrame[] {
    const notices = this.notices;
    this.notices = [];
    return notices;
  }
}
