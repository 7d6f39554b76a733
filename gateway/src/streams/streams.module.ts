import { Module } from '@nestjs/common';
import { VisionModule } from '../vision/vision.module';
import { AppearanceEmbedder } from './appearance-embedder';
import { FramePipeline } from './frame-pipeline';
import { TenantReidentification } from './tenant-reidentification';
import { StreamGrpcService } from './stream-grpc.service';
import { StreamMetrics } from './stream-metrics';

@Module({
  imports: [VisionModule],
  providers: [
    FramePipeline,
    StreamGrpcService,
    StreamMetrics,
    AppearanceEmbedder,
    TenantReidentification,
  ],
  exports: [StreamGrpcService],
})
export class StreamsModule {}
