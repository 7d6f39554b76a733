import { type DynamicModule, Module } from '@nestjs/common';
import { type ControlPlaneConfig } from './config/control-plane-config';
import { ControlPlaneConfigModule } from './config/control-plane-config.module';
import { DatabaseModule } from './database/database.module';
import { ControlPlaneGraphqlModule } from './graphql/control-plane-graphql.module';
import { HealthModule } from './health/health.module';
import { ObservabilityModule } from './observability/observability.module';
import { RegistryModule } from './registry/registry.module';

@Module({})
export class AppModule {
  static forRoot(config: ControlPlaneConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ControlPlaneConfigModule.forRoot(config),
        DatabaseModule,
        ObservabilityModule,
        HealthModule,
        ControlPlaneGraphqlModule,
        RegistryModule,
      ],
    };
  }
}
