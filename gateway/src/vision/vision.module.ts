import { Module } from '@nestjs/common';
import { DetectPipeline } from './detect-pipeline';
import { VisionGrpcService } from './vision-grpc.service';
import { VisionHttpController } from './vision-http.controller';

@Module({
  providers: [DetectPipeline, VisionGrpcService],
  controllers: [VisionHttpController],
  exports: [VisionGrpcService, DetectPipeline],
})
export class VisionModule {}
