import { Module } from '@nestjs/common';
import { KServeGrpcService } from './grpc/kserve-grpc.service';
import { KServeHttpController } from './http/kserve-http.controller';

@Module({
  providers: [KServeGrpcService],
  controllers: [KServeHttpController],
  exports: [KServeGrpcService],
})
export class KServeModule {}
