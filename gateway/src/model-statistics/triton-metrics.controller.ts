import { Controller, Get, Header } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { ACCESS } from '../auth/access-policy';
import { Access } from '../auth/http/access.decorator';
import { ModelStatisticsRecorder } from './model-statistics.recorder';
import { tritonCompatibleRegistry } from './triton-compatible-metrics';

/**
 * Triton's per-model series (nv_inference_*) for Triton's dashboards: a scrape job of its own,
 * `metrics_path: /metrics/triton`, as Triton serves them on a port of their own.
 */
@Controller()
export class TritonMetricsController {
  private readonly registry: Registry;

  constructor(recorder: ModelStatisticsRecorder) {
    this.registry = tritonCompatibleRegistry(recorder);
  }

  @Get('metrics/triton')
  // As /metrics: metrics:read, or public with GATEWAY_METRICS_PUBLIC=true.
  @Access(ACCESS.metrics)
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
