import { Module } from '@nestjs/common';
import { AdmissionModule } from '../admission/admission.module';
import { DetectPipeline } from './detect-pipeline';
import { VisionGrpcService } from './vision-grpc.service';
import { VisionHttpController } from './vision-http.controller';

@Module({
  // The admit stage the tensor request path uses (one per app): asked before any pixel work.
  imports: [AdmissionModule],
  providers: [DetectPipeline, VisionGrpcService],
  controllers: [VisionHttpController],
  exports: [VisionGrpcService],
})
export class VisionModule {}
