import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header } from '@nestjs/common';
import { ACCESS } from '../auth/access-policy';
import { Access } from '../auth/http/access.decorator';
import { GatewayMetrics } from './gateway-metrics';

@ApiTags('metrics')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: GatewayMetrics) {}

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)' })
  @ApiProduces('text/plain')
  // metrics:read, or public with GATEWAY_METRICS_PUBLIC=true (a scraper on a private network).
  @Access(ACCESS.metrics)
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
