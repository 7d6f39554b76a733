import { Module } from '@nestjs/common';
import { ControlPlaneMetrics } from './control-plane-metrics';
import { MetricsController } from './metrics.controller';

@Module({
  providers: [ControlPlaneMetrics],
  controllers: [MetricsController],
  exports: [ControlPlaneMetrics],
})
export class ObservabilityModule {}
