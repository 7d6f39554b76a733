import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * Owns the Prometheus registry of one app instance. A registry per instance (not prom-client's
 * global one) lets tests start the app more than once in a process.
 */
@Injectable()
export class ControlPlaneMetrics {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'control_plane_http_request_duration_seconds',
    help: 'Duration of HTTP requests served by the control plane, by route and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
