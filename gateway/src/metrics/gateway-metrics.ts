import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5,
];

export type Outcome = 'ok' | 'client_error' | 'server_error';

/** The gateway's Prometheus metrics, in one registry so tests and /metrics see the same series. */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly requestDuration = new Histogram({
    name: 'gateway_request_duration_seconds',
    help: 'Wall time of a gateway request from arrival to response, by protocol, route, model, version and outcome.',
    labelNames: ['protocol', 'route', 'model', 'version', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly inferenceDuration = new Histogram({
    name: 'gateway_inference_duration_seconds',
    help: 'Time spent in the inference backend per call, by backend, model and version.',
    labelNames: ['backend', 'model', 'version'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly preprocessDuration = new Histogram({
    name: 'gateway_preprocess_duration_seconds',
    help: 'Image decode plus resize/normalise time of vision requests, by model.',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly postprocessDuration = new Histogram({
    name: 'gateway_postprocess_duration_seconds',
    help: 'Detection decode plus NMS time of vision requests, by model.',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly inFlight = new Gauge({
    name: 'gateway_requests_in_flight',
    help: 'Requests currently being served, by protocol.',
    labelNames: ['protocol'] as const,
    registers: [this.registry],
  });

  readonly detections = new Counter({
    name: 'gateway_detections_total',
    help: 'Detections returned by the vision API, by model and label.',
    labelNames: ['model', 'label'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  static outcomeOf(status: number): Outcome {
    if (status >= 500) return 'server_error';
    if (status >= 400) return 'client_error';
    return 'ok';
  }
}
