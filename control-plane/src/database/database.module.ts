import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/control-plane-config.module';
import { buildDataSourceOptions } from './data-source-options';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [CONTROL_PLANE_CONFIG],
      useFactory: (config: ControlPlaneConfig) => ({
        ...buildDataSourceOptions(config),
        // Fail fast at start-up instead of TypeOrmModule's default of retrying for half a minute.
        retryAttempts: 0,
      }),
    }),
  ],
})
export class DatabaseModule {}
