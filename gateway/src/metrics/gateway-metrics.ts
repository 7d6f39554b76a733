import { Inject, Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import { FINE_LATENCY_BUCKETS as LATENCY_BUCKETS, latencyBuckets } from './latency-buckets';
import { servedModelLabels, type ServedModels } from './model-labels';
import { TenantLabels } from './tenant-labels';

/** The default deadline when no configuration is injected (tests building metrics by hand). */
const DEFAULT_DEADLINE_MS = 30_000;
/** prom-client's default gauges ending in _total; the same figures stay, split by type. */
const DUPLICATE_TOTALS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];
/** Confidence-score buckets: ten of 0.1 (scores are in [0, 1]); classes multiply the series. */
const CONFIDENCE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

export type Outcome = 'ok' | 'client_error' | 'server_error';

/**
 * One request as the request histogram records it: the model as the caller named it, the version
 * that served it once routed (else as named).
 */
export interface RequestObservation {
  protocol: 'http' | 'grpc';
  /** The route template (HTTP) or method path (gRPC), never a caller's URL. */
  route: string;
  model?: string;
  version?: string;
  /** The HTTP status, or its equivalent for a gRPC status. */
  status: number;
  /** The `code` label: the gRPC status name for gRPC (OK, NOT_FOUND, ...); unset, `status`. */
  code?: string;
}

/** The gateway's Prometheus metrics, in one registry so tests and /metrics see the same series. */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly requestDuration: Histogram<
    'protocol' | 'route' | 'model' | 'version' | 'outcome' | 'code'
  >;

  readonly inferenceDuration: Histogram<'backend' | 'model' | 'version'>;

  // Usage per tenant (billing): calls that reached admission, and the images of those answered.
  readonly tenantRequests = new Counter({
    name: 'gateway_tenant_requests_total',
    help: 'Calls per tenant (at most 1000 tenants by name, later ones as _other), by model served and outcome.',
    labelNames: ['tenant', 'model', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly tenantImages = new Counter({
    name: 'gateway_tenant_images_total',
    help: 'Images (a tensor call counts its batch size) of the calls answered per tenant, by model served.',
    labelNames: ['tenant', 'model'] as const,
    registers: [this.registry],
  });

  readonly detectionConfidence = new Histogram({
    name: 'gateway_detection_confidence',
    help: 'Confidence scores of the detections the vision API returned, by model, version and class.',
    labelNames: ['model', 'version', 'class'] as const,
    buckets: CONFIDENCE_BUCKETS,
    registers: [this.registry],
  });

  readonly preprocessDuration = new Histogram({
    name: 'gateway_preprocess_duration_seconds',
    help: 'Image decode plus resize/normalise time of vision requests, by model.',
    labelNames: ['model'] as const,
    buckets: [...LATENCY_BUCKETS],
    registers: [this.registry],
  });

  readonly postprocessDuration = new Histogram({
    name: 'gateway_postprocess_duration_seconds',
    help: 'Detection decode plus NMS time of vision requests, by model.',
    labelNames: ['model'] as const,
    buckets: [...LATENCY_BUCKETS],
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

  // Admission (gateway/src/admission/): per model version, what waits, what runs, what was refused.
  readonly admissionQueueDepth = new Gauge({
    name: 'gateway_admission_queue_depth',
    help: 'Requests waiting in admission for a backend slot, by model and version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  readonly admissionInFlight = new Gauge({
    name: 'gateway_admission_in_flight',
    help: 'Requests admitted and not yet finished at the backend, by model and version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  readonly admissionLimit = new Gauge({
    name: 'gateway_admission_limit',
    help: 'Requests allowed at the backend at once (learnt from latency when adaptive), by model and version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  readonly admissionServiceTime = new Gauge({
    name: 'gateway_admission_service_time_estimate_seconds',
    help: 'Estimated backend service time per request (EWMA) used for deadline feasibility, by model and version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  readonly admissionAdmitted = new Counter({
    name: 'gateway_admission_admitted_total',
    help: 'Requests let through to the backend, by model, version and priority.',
    labelNames: ['model', 'version', 'priority'] as const,
    registers: [this.registry],
  });

  readonly admissionShed = new Counter({
    name: 'gateway_admission_shed_total',
    help: 'Requests refused for capacity (429 / RESOURCE_EXHAUSTED), by model, version, priority and reason (queue_full, displaced, wait_target: its wait would pass its queue target; waited: it waited twice its target).',
    labelNames: ['model', 'version', 'priority', 'reason'] as const,
    registers: [this.registry],
  });

  readonly admissionExpired = new Counter({
    name: 'gateway_admission_expired_total',
    help: 'Requests ended by their deadline (504 / DEADLINE_EXCEEDED), by model, version, priority and reason (on_arrival, infeasible, in_queue, at_backend).',
    labelNames: ['model', 'version', 'priority', 'reason'] as const,
    registers: [this.registry],
  });

  readonly admissionCancelled = new Counter({
    name: 'gateway_admission_cancelled_total',
    help: 'Requests whose caller went away, by model, version, priority and where they were (queued, in_flight).',
    labelNames: ['model', 'version', 'priority', 'where'] as const,
    registers: [this.registry],
  });

  // Circuit breakers and retries (gateway/src/breakers/): one breaker per backend endpoint.
  readonly breakerState = new Gauge({
    name: 'gateway_breaker_state',
    help: 'Circuit breaker state per backend endpoint: 0 closed, 1 half-open, 2 open.',
    labelNames: ['backend', 'endpoint'] as const,
    registers: [this.registry],
  });

  readonly breakerTransitions = new Counter({
    name: 'gateway_breaker_transitions_total',
    help: 'Circuit breaker state changes per backend endpoint, by from and to state (closed, half_open, open).',
    labelNames: ['backend', 'endpoint', 'from', 'to'] as const,
    registers: [this.registry],
  });

  readonly breakerFastFails = new Counter({
    name: 'gateway_breaker_fast_fails_total',
    help: 'Requests refused at once (503 / UNAVAILABLE with Retry-After) because every endpoint that could serve the model had its circuit breaker open, by backend and model.',
    labelNames: ['backend', 'model'] as const,
    registers: [this.registry],
  });

  readonly backendRetries = new Counter({
    name: 'gateway_backend_retries_total',
    help: 'Backend calls retried on another endpoint, by backend and reason (unavailable, breaker_open).',
    labelNames: ['backend', 'reason'] as const,
    registers: [this.registry],
  });

  readonly retryBudgetExhausted = new Counter({
    name: 'gateway_retry_budget_exhausted_total',
    help: 'Retryable backend failures not retried because the retry budget was spent, by backend.',
    labelNames: ['backend'] as const,
    registers: [this.registry],
  });

  // Rate limits (gateway/src/rate-limits/): refusals per tenant and limit, and Redis outages.
  readonly rateLimitRefusals = new Counter({
    name: 'gateway_rate_limit_refusals_total',
    help: 'Calls refused by a rate limit (429 / RESOURCE_EXHAUSTED), by tenant and limit (tenant-requests, tenant-images, model-requests, model-images).',
    labelNames: ['tenant', 'limit'] as const,
    registers: [this.registry],
  });

  readonly rateLimitRedisFallbacks = new Counter({
    name: 'gateway_rate_limit_redis_fallbacks_total',
    help: 'Rate-limit checks answered by the per-replica insurance limiter because Redis did not answer in time or was not connected.',
    registers: [this.registry],
  });

  readonly rateLimitRedisUp = new Gauge({
    name: 'gateway_rate_limit_redis_up',
    help: '1 while the Redis connection for shared rate limits is ready, 0 while it is not; exported only when REDIS_URL is set.',
    registers: [this.registry],
  });

  // Dynamic batching (gateway/src/batching/): per model version, batches formed and the queue before them.
  readonly batchSize = new Histogram({
    name: 'gateway_batch_size',
    help: 'Size of each batch sent to the backend (the sum of the batch dimensions of its requests), by model and version.',
    labelNames: ['model', 'version'] as const,
    buckets: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128],
    registers: [this.registry],
  });

  readonly batchQueueDelay = new Histogram({
    name: 'gateway_batch_queue_delay_seconds',
    help: 'Time a request waited in the batch queue until its batch left, by model, version and priority.',
    labelNames: ['model', 'version', 'priority'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly batchQueueDepth = new Gauge({
    name: 'gateway_batch_queue_depth',
    help: 'Requests waiting in the batch queue, by model and version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  readonly batchesInFlight = new Gauge({
    name: 'gateway_batches_in_flight',
    help: 'Batches sent to the backend and not yet answered, by model and version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  readonly batchExpired = new Counter({
    name: 'gateway_batch_expired_total',
    help: 'Requests dropped from the batch queue before dispatch (504 / DEADLINE_EXCEEDED), by model, version, priority and reason (deadline, queue_timeout).',
    labelNames: ['model', 'version', 'priority', 'reason'] as const,
    registers: [this.registry],
  });

  readonly batchRefused = new Counter({
    name: 'gateway_batch_refused_total',
    help: 'Requests refused because their batch queue was full (429 / RESOURCE_EXHAUSTED), by model, version and priority.',
    labelNames: ['model', 'version', 'priority'] as const,
    registers: [this.registry],
  });

  readonly batchCancelled = new Counter({
    name: 'gateway_batch_cancelled_total',
    help: 'Requests whose caller went away while they waited in the batch queue or in a batch, by model, version and priority.',
    labelNames: ['model', 'version', 'priority'] as const,
    registers: [this.registry],
  });

  readonly batchMaxSize = new Gauge({
    name: 'gateway_batch_max_size',
    help: 'Batch size limit batches are formed under now (adaptive mode moves it), by model and version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  readonly batchMaxQueueDelay = new Gauge({
    name: 'gateway_batch_max_queue_delay_seconds',
    help: 'Longest wait for a batch to fill now (adaptive mode moves it), by model and version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  readonly batchObservedP99 = new Gauge({
    name: 'gateway_batch_latency_p99_seconds',
    help: 'Adaptive batching: p99 of queue plus backend time its last step was based on, by model and version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  // Credential checks (gateway/src/auth/): refusals by reason, and the slow API key hash.
  readonly authFailures = new Counter({
    name: 'gateway_auth_failures_total',
    help: 'Credentials not accepted, by credential (api_key, jwt, none) and reason (missing, malformed, unknown_key, wrong_secret, wrong_secret_repeated, revoked, not_configured, too_long, expired, claims, signature, no_matching_key, algorithm, invalid: 401; key_failure_limit, peer_failure_limit: 429; checks_busy, store_unavailable, jwks_unavailable: 503).',
    labelNames: ['credential', 'reason'] as const,
    registers: [this.registry],
  });

  readonly apiKeyHashChecks = new Counter({
    name: 'gateway_api_key_hash_checks_total',
    help: 'scrypt verifications of API key secrets (~44 ms of a threadpool thread each), by result (match, mismatch).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly apiKeyHashChecksRunning = new Gauge({
    name: 'gateway_api_key_hash_checks_running',
    help: 'scrypt verifications running now (at most GATEWAY_API_KEY_CHECK_CONCURRENCY).',
    registers: [this.registry],
  });

  readonly apiKeyHashChecksWaiting = new Gauge({
    name: 'gateway_api_key_hash_checks_waiting',
    help: 'API key checks waiting for a scrypt slot (at most GATEWAY_API_KEY_CHECK_QUEUE).',
    registers: [this.registry],
  });

  private servedModels?: ServedModels;
  private readonly tenants = new TenantLabels();

  constructor(@Optional() @Inject(CONFIG_SLICE.admission) admission?: ConfigSlice<'admission'>) {
    // Up to the longest deadline a call gets by default: a call that ran until it timed out
    // lands in a bucket of its own, not in +Inf with everything slow.
    const buckets = latencyBuckets(admission?.defaultTimeoutMs ?? DEFAULT_DEADLINE_MS);
    this.requestDuration = new Histogram({
      name: 'gateway_request_duration_seconds',
      help: 'Wall time of a gateway request from arrival to response, by protocol, route, model, version served, outcome and status code (HTTP status; gRPC status name).',
      labelNames: ['protocol', 'route', 'model', 'version', 'outcome', 'code'] as const,
      buckets,
      registers: [this.registry],
    });
    this.inferenceDuration = new Histogram({
      name: 'gateway_inference_duration_seconds',
      help: 'Time spent in the inference backend per call, by backend, model and version.',
      labelNames: ['backend', 'model', 'version'] as const,
      buckets,
      registers: [this.registry],
    });
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which Prometheus' lint refuses; the per-type gauges
    // (nodejs_active_handles{type}, ...) sum to the same.
    for (const name of DUPLICATE_TOTALS) this.registry.removeSingleMetric(name);
  }

  /**
   * Model and version labels name only what `served` serves (gateway-app.ts wires the backend at
   * start-up); every other name a request carries is counted under `_other` (model-labels.ts).
   */
  labelModelsServedBy(served: ServedModels): void {
    this.servedModels = served;
  }

  /** Times one request, HTTP or gRPC, with its model and version labels bounded. */
  observeRequest(request: RequestObservation, seconds: number): void {
    this.requestDuration.observe(
      {
        protocol: request.protocol,
        route: request.route,
        ...servedModelLabels(this.servedModels, request.model, request.version),
        outcome: GatewayMetrics.outcomeOf(request.status),
        code: request.code ?? String(request.status),
      },
      seconds,
    );
  }

  /**
   * A call that reached admission, for its tenant's usage: model as routed (a served one), the
   * images of an answered call (0 for a failed one).
   */
  countTenantCall(
    tenant: string,
    target: { model: string },
    outcome: Outcome,
    images: number,
  ): void {
    const labels = { tenant: this.tenants.of(tenant), model: target.model };
    this.tenantRequests.inc({ ...labels, outcome });
    if (images > 0) this.tenantImages.inc(labels, images);
  }

  static outcomeOf(status: number): Outcome {
    if (status >= 500) return 'server_error';
    if (status >= 400) return 'client_error';
    return 'ok';
  }
}
