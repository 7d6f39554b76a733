import { Module } from '@nestjs/common';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/control-plane-config.module';
import { LineageService } from './lineage.service';
import { MlflowClient } from './mlflow/mlflow-client';

/** The MLflow client, or null when no tracking server is configured (the embedded default). */
export const MLFLOW_CLIENT = Symbol('MLFLOW_CLIENT');

@Module({
  providers: [
    LineageService,
    {
      provide: MLFLOW_CLIENT,
      inject: [CONTROL_PLANE_CONFIG],
      useFactory: ({ mlflow }: ControlPlaneConfig): MlflowClient | null =>
        mlflow.trackingUri === undefined
          ? null
          : new MlflowClient({
              trackingUri: mlflow.trackingUri,
              timeoutMs: mlflow.timeoutMs,
              ...(mlflow.token !== undefined ? { token: mlflow.token } : {}),
            }),
    },
  ],
  exports: [LineageService, MLFLOW_CLIENT],
})
export class LineageModule {}
