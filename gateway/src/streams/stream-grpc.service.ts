import type { ServerDuplexStream } from '@grpc/grpc-js';
import { Inject, Injectable } from '@nestjs/common';
import type { Frame, FrameResult, StreamService } from '@contracts/generated/vision/v1/streams_pb';
import type { ImplementationOf, MalformedMessage } from '@contracts/grpc/service-definition';
import { grpcCallBounds } from '../admission/grpc-call-bounds';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import { grpcCallContext } from '../grpc-server/grpc-call-context';
import { toServiceError } from '../grpc-server/grpc-errors';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { FramePipeline } from './frame-pipeline';
import { ServedSources } from './served-sources';
import { StreamMetrics } from './stream-metrics';
import { TenantStreamSlots } from './tenant-stream-slots';
import { TrackStream } from './track-stream';
import { sourceMethods } from './source-methods';

/** `vision.v1.StreamService`: camera streams (StreamTrack) and server-pulled sources. */
@Injectable()
export class StreamGrpcService {
  constructor(
    @Inject(CONFIG_SLICE.streams) private readonly settings: ConfigSlice<'streams'>,
    @Inject(CONFIG_SLICE.detectDefaults)
    private readonly detectDefaults: ConfigSlice<'detectDefaults'>,
    @Inject(CONFIG_SLICE.grpc) private readonly grpcLimits: ConfigSlice<'grpc'>,
    private readonly pipeline: FramePipeline,
    private readonly metrics: StreamMetrics,
    private readonly slots: TenantStreamSlots,
    private readonly sources: ServedSources,
    private readonly gatewayMetrics: GatewayMetrics,
  ) {}

  implementation(): ImplementationOf<typeof StreamService> {
    return {
      streamTrack: (call) => this.streamTrack(call),
      ...sourceMethods({
        sources: this.sources,
        slots: this.slots,
        metrics: this.metrics,
        gatewayMetrics: this.gatewayMetrics,
      }),
    };
  }

  private streamTrack(call: ServerDuplexStream<Frame | MalformedMessage, FrameResult>): void {
    let release: () => void;
    let context;
    try {
      context = grpcCallContext(call, 1);
      release = this.slots.acquire(context.caller.tenant);
    } catch (error) {
      call.emit('error', toServiceError(error));
      return;
    }
    this.metrics.openStreams.inc({ kind: 'track' });
    const stream = new TrackStream(
      call,
      context,
      grpcCallBounds(call),
      {
        pipeline: this.pipeline,
        metrics: this.metrics,
        settings: this.settings,
        detectDefaults: this.detectDefaults,
        maxUnsentBytes: this.grpcLimits.streamMaxUnsentBytes,
      },
      () => {
        release();
        this.metrics.openStreams.dec({ kind: 'track' });
      },
    );
    stream.start();
  }
}
