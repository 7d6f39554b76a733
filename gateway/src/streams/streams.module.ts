import { Module } from '@nestjs/common';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import { VisionModule } from '../vision/vision.module';
import { AppearanceEmbedder } from './appearance-embedder';
import { FramePipeline } from './frame-pipeline';
import { ServedSources } from './served-sources';
import { SourceMetrics } from './sources-metrics';
import { TenantReidentification } from './tenant-reidentification';
import { StreamGrpcService } from './stream-grpc.service';
import { StreamMetrics } from './stream-metrics';
import { TenantStreamSlots } from './tenant-stream-slots';

@Module({
  imports: [VisionModule],
  providers: [
    FramePipeline,
    StreamGrpcService,
    StreamMetrics,
    AppearanceEmbedder,
    TenantReidentification,
    ServedSources,
    SourceMetrics,
    // One count per tenant for StreamTrack streams and WatchSource watches alike.
    {
      provide: TenantStreamSlots,
      useFactory: (settings: ConfigSlice<'streams'>) => new TenantStreamSlots(settings.perTenant),
      inject: [CONFIG_SLICE.streams],
    },
  ],
  exports: [StreamGrpcService],
})
export class StreamsModule {}
