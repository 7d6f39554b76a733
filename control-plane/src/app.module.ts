import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { CanaryAnalysisModule } from './canary-analysis/canary-analysis.module';
import { type ControlPlaneConfig } from './config/control-plane-config';
import { ControlPlaneConfigModule } from './config/control-plane-config.module';
import { DatabaseModule } from './database/database.module';
import { DeploymentsModule } from './deployments/deployments.module';
import { ControlPlaneGraphqlModule } from './graphql/control-plane-graphql.module';
import { HealthModule } from './health/health.module';
import { ObservabilityModule } from './observability/observability.module';
import { RegistryModule } from './registry/registry.module';
import { RepositoryModule } from './repository/repository.module';
import { RoutingModule } from './routing/routing.module';
import { UploadsModule } from './uploads/uploads.module';

@Module({})
export class AppModule {
  static forRoot(config: ControlPlaneConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ControlPlaneConfigModule.forRoot(config),
        DatabaseModule,
        AuthModule,
        ObservabilityModule,
        HealthModule,
        ControlPlaneGraphqlModule,
        RegistryModule,
        RepositoryModule,
        RoutingModule,
        UploadsModule,
        DeploymentsModule,
        CanaryAnalysisModule,
      ],
    };
  }
}
