import { Module } from '@nestjs/common';
import { KServeModule } from '../kserve/kserve.module';
import { StreamsModule } from '../streams/streams.module';
import { VisionModule } from '../vision/vision.module';
import { GrpcServer } from './grpc-server';

@Module({
  imports: [KServeModule, VisionModule, StreamsModule],
  providers: [GrpcServer],
  exports: [GrpcServer],
})
export class GrpcServerModule {}
