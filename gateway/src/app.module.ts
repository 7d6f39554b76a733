import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { CallStatisticsModule } from './call-statistics/call-statistics.module';
import { ConfigModule } from './config/config.module';
import type { GatewayConfig } from './config/gateway-config';
import { GrpcServerModule } from './grpc-server/grpc-server.module';
import { HealthModule } from './health/health.module';
import { InferenceModule } from './inference/inference.module';
import { KServeModule } from './kserve/kserve.module';
import { MetricsModule } from './metrics/metrics.module';
import { OpenApiModule } from './openapi/openapi.module';
import { ModelStatisticsModule } from './model-statistics/model-statistics.module';
import { PipelineModule } from './pipeline/pipeline.module';
import { ServingModule } from './serving/serving.module';
import { ShadowingModule } from './shadowing/shadowing.module';
import { TracingModule } from './tracing/tracing.module';
import { RateLimitsModule } from './rate-limits/rate-limits.module';
import { RoutingModule } from './routing/routing.module';
import { VisionModule } from './vision/vision.module';

/** The gateway, by capability: inference (backend + request path), front doors, observability. */
@Module({})
export class AppModule {
  static forConfig(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forConfig(config),
        MetricsModule,
        TracingModule,
        AuthModule,
        RateLimitsModule,
        InferenceModule,
        RoutingModule,
        CallStatisticsModule,
        ModelStatisticsModule,
        ShadowingModule,
        PipelineModule,
        ServingModule,
        KServeModule,
        VisionModule,
        GrpcServerModule,
        HealthModule,
        OpenApiModule,
      ],
    };
  }
}
