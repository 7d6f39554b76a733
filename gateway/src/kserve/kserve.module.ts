import { Module } from '@nestjs/common';
import { KServeGrpcService } from './grpc/kserve-grpc.service';
import { KServeHttpController } from './http/kserve-http.controller';
import { ModelRepositoryService } from './repository/model-repository.service';
import { RepositoryHttpController } from './repository/repository-http.controller';
import { StatisticsHttpController } from './statistics/statistics-http.controller';
import { UnimplementedExtensionsController } from './extensions/unimplemented-extensions.controller';

@Module({
  providers: [KServeGrpcService, ModelRepositoryService],
  controllers: [
    KServeHttpController,
    RepositoryHttpController,
    UnimplementedExtensionsController,
    StatisticsHttpController,
  ],
  exports: [KServeGrpcService],
})
export class KServeModule {}
