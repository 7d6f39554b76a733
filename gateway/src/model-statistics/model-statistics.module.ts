import { Global, Module } from '@nestjs/common';
import { ModelStatisticsRecorder } from './model-statistics.recorder';
import { ModelStatisticsService } from './model-statistics.service';
import { TritonMetricsController } from './triton-metrics.controller';

/**
 * Triton's statistics per model version: measured on the request path (ModelStatisticsRecorder),
 * answered by the statistics extension (kserve/statistics/) and as Triton's Prometheus series.
 */
@Global()
@Module({
  providers: [ModelStatisticsRecorder, ModelStatisticsService],
  controllers: [TritonMetricsController],
  exports: [ModelStatisticsRecorder, ModelStatisticsService],
})
export class ModelStatisticsModule {}
