import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  authConfigFrom,
  authEnvShape,
  checkAuthEnv,
  SECRET_SETTINGS,
  type AuthConfig,
} from '../auth/auth-config';
import { parseRateLimitSettings, type RateLimitSettings } from '../rate-limits/rate-limit-settings';
import { DEFAULT_BREAKER_SETTINGS, type BreakerSettings } from '../breakers/breaker-settings';
import { DEFAULT_RETRY_BUDGET, type RetryBudgetSettings } from '../breakers/retry-budget';
import { tracingConfigFrom, tracingEnvShape, type TracingConfig } from '../tracing/tracing-config';
import { parseCorsOrigins, type CorsOrigins } from '@http-edge';

// 0 asks the OS for a free port (tests, several gateways on one host).
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const probability = z.coerce.number().min(0).max(1);
/** A model folder name as the gateway accepts it in settings. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** `*`: every model of the repository; otherwise these names (none: only the backend). */
export type RequiredModels = '*' | readonly string[];
/** Node's timers cap a delay at 2^31 - 1 ms; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Every setting the gateway reads from its environment, with defaults for the one-command start. */
const schema = z.object({
  ...authEnvShape,
  ...tracingEnvShape,
  GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
  GATEWAY_HTTP_PORT: port.default(8080),
  GATEWAY_GRPC_PORT: port.default(8081),
  MODEL_REPOSITORY: z.string().min(1).default('triton-models'),
  /**
   * explicit: every model is loaded at start and the model_repository extension may load, reload
   * and unload models (Triton's --model-control-mode=explicit --load-model=*); none: the models of
   * the start stay as they are and load/unload are refused, as Triton does in that mode.
   */
  GATEWAY_MODEL_CONTROL_MODE: z
    .enum(['explicit', 'none'], { message: "must be 'explicit' or 'none'" })
    .default('explicit'),
  /** Largest accepted request body (HTTP) or message (gRPC). */
  // At most 2^31 - 1: gRPC's message-length limit and HTTP/2's largest flow-control window.
  GATEWAY_MAX_BODY_BYTES: positiveInt.max(2 ** 31 - 1).default(64 * 1024 * 1024),
  /** Vision API images, checked from the header before any pixel is decoded (docs/api.md "Images"). */
  // 8K UHD (7680×4320, 33.2 MP) fits; a small compressed file cannot expand into gigabytes of pixels.
  GATEWAY_MAX_IMAGE_PIXELS: positiveInt.default(40_000_000),
  // Each row costs the decoder work of its own: a 1×40,000,000 PNG took 13 s of CPU, 16,384 rows 12 ms.
  GATEWAY_MAX_IMAGE_SIDE: positiveInt.default(16_384),
  // width × height × channels × bytes per sample: the pixel limit at 8-bit RGBA, so only deeper
  // samples (16-bit PNG) can reach it; an interlaced PNG or a WebP is held whole while it decodes.
  GATEWAY_MAX_IMAGE_DECODED_BYTES: positiveInt.default(160_000_000),
  /** Decoded bytes of the images being decoded at once (two at the largest size), and how many may wait. */
  GATEWAY_IMAGE_DECODE_BUDGET_BYTES: positiveInt.default(320_000_000),
  GATEWAY_IMAGE_DECODE_QUEUE: z.coerce.number().int().min(0).max(100_000).default(32),
  /**
   * How often the process looks whether it went idle after a burst and holds freed memory; 0: never
   * (process-memory/idle-reclaim.ts; needs node --expose-gc, as start:gateway runs it).
   */
  GATEWAY_IDLE_RECLAIM_MS: z.coerce.number().int().min(0).max(MAX_TIMER_MS).default(10_000),
  /** ONNX Runtime intra-op threads per session; 0 lets ONNX Runtime choose. */
  ORT_INTRA_OP_THREADS: z.coerce.number().int().min(0).default(0),
  /**
   * Shadow copies (a deployment's shadow versions, a canary analysis' comparisons) run apart from
   * the calls they copy, at most this many at once; more are dropped, as they are whenever the
   * copied call's version has calls waiting for admission.
   */
  GATEWAY_SHADOW_MAX_IN_FLIGHT: z.coerce.number().int().min(0).max(10_000).default(4),
  GATEWAY_SHADOW_TIMEOUT_MS: positiveInt.max(MAX_TIMER_MS).default(10_000),
  /**
   * Camera streams (vision.v1.StreamService, docs/streams.md): a frame not served within this long
   * of arriving is dropped, unless the stream's config asks otherwise.
   */
  GATEWAY_STREAM_FRAME_DEADLINE_MS: positiveInt.max(60_000).default(500),
  /** Open camera streams (StreamTrack and WatchSource) per tenant. */
  GATEWAY_STREAMS_PER_TENANT: positiveInt.max(100_000).default(16),
  /** Cameras one stream may carry (an edge box multiplexing several). */
  GATEWAY_STREAM_MAX_CAMERAS: positiveInt.max(1024).default(16),
  /** Appearance model for cross-camera re-identification; empty: none (global ids off). */
  GATEWAY_REID_MODEL: z.string().max(128).default('appearance-mobilenetv2'),
  /**
   * What a track's appearance is: the appearance model's embedding (GATEWAY_REID_MODEL), or an HSV
   * colour histogram of the box (no model call: the baseline, and a fallback without a model).
   */
  GATEWAY_REID_EMBEDDING: z.enum(['model', 'colour-histogram']).default('model'),
  /**
   * Least appearance similarity (cosine, age-discounted) for a new track to take an existing
   * global id; unset: 0.75 for the model, 0.85 for colour histograms (their similarities run higher).
   */
  GATEWAY_REID_THRESHOLD: z.coerce.number().min(-1).max(1).optional(),
  /** Longest a person may take from one camera to another and keep their global id. */
  GATEWAY_REID_MAX_TRANSIT_MS: positiveInt.max(3_600_000).default(30_000),
  /** Server-pulled video sources (ffmpeg children) at most, and the ffmpeg binary. */
  GATEWAY_SOURCES_MAX: z.coerce.number().int().min(0).max(256).default(8),
  GATEWAY_FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
  DETECT_SCORE_THRESHOLD: probability.default(0.35),
  DETECT_IOU_THRESHOLD: probability.default(0.6),
  DETECT_MAX_DETECTIONS: positiveInt.max(1000).default(100),
  /** Images one detect call may carry (multipart parts or JSON `images`), each charged and run as one. */
  GATEWAY_DETECT_MAX_IMAGES: positiveInt.max(256).default(16),
  /**
   * Origins browsers may call the gateway from (comma-separated, exact `scheme://host[:port]`, or
   * `*` alone); empty: no CORS headers, so browsers refuse pages of other origins.
   */
  GATEWAY_CORS_ORIGINS: z
    .string()
    .optional()
    .transform((value, context) => {
      const parsed = parseCorsOrigins(value);
      if ('origins' in parsed) return parsed.origins;
      for (const problem of parsed.problems) context.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  /** json: one JSON object per line (log shippers); pretty: for people. Unset: json when NODE_ENV=production. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** Strict-Transport-Security max-age on every HTTP answer; 0 sends none. */
  GATEWAY_HSTS_MAX_AGE_SECONDS: z.coerce.number().int().min(0).default(31_536_000),
  /** Longest an HTTP request (head and body) may take to arrive; past it 408 and the connection closes. */
  GATEWAY_HTTP_REQUEST_TIMEOUT_MS: positiveInt.min(100).max(MAX_TIMER_MS).default(30_000),
  /** Longest the head of an HTTP request (request line, headers) may take to arrive; past it 408. */
  GATEWAY_HTTP_HEADERS_TIMEOUT_MS: positiveInt.min(100).max(MAX_TIMER_MS).optional(),
  /** How long an idle keep-alive connection waits for its next request (longer than a load balancer's idle timeout). */
  GATEWAY_HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt.max(MAX_TIMER_MS).default(72_000),
  /** Bytes all unfinished HTTP request bodies may hold together; past it the largest is refused (503). */
  GATEWAY_HTTP_BODY_BUDGET_BYTES: positiveInt
    .max(Number.MAX_SAFE_INTEGER)
    .default(256 * 1024 * 1024),
  /** Triton gRPC endpoints (host:port, comma-separated); unset or empty keeps the embedded backend. */
  TRITON_GRPC_URLS: z
    .string()
    .default('')
    .transform((value, context) => {
      const entries = value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== '');
      for (const entry of entries) {
        const problem = hostPortProblem(entry);
        if (problem) context.addIssue({ code: 'custom', message: `entry '${entry}' ${problem}` });
      }
      const duplicate = entries.find((entry, index) => entries.indexOf(entry) !== index);
      if (duplicate) context.addIssue({ code: 'custom', message: `lists '${duplicate}' twice` });
      return entries;
    }),
  /** Deadline of each call to Triton; health checks use the health interval (1 s at least) if shorter. */
  TRITON_TIMEOUT_MS: positiveInt.default(10_000),
  /** How often each Triton endpoint is asked ServerReady and ModelReady. */
  TRITON_HEALTH_INTERVAL_MS: positiveInt.min(50).default(2000),
  /** Sent as `x-api-key` on every call to Triton: for a Triton behind an authenticating proxy, or another gateway. */
  TRITON_API_KEY: z.string().min(1).optional(),
  /** Circuit breaker of each backend endpoint: opens when more than this percent of calls failed... */
  GATEWAY_BREAKER_ERROR_PERCENT: z.coerce
    .number()
    .min(1)
    .max(100)
    .default(DEFAULT_BREAKER_SETTINGS.errorThresholdPercent),
  /** ...and at least this many calls were made in the window. */
  GATEWAY_BREAKER_VOLUME_THRESHOLD: positiveInt.default(DEFAULT_BREAKER_SETTINGS.volumeThreshold),
  /** Rolling window of the breaker's counts. */
  GATEWAY_BREAKER_WINDOW_MS: positiveInt
    .min(100)
    .max(MAX_TIMER_MS)
    .default(DEFAULT_BREAKER_SETTINGS.windowMs),
  /** How long an open breaker refuses calls before one probe call may go (half-open). */
  GATEWAY_BREAKER_RESET_MS: positiveInt
    .max(MAX_TIMER_MS)
    .default(DEFAULT_BREAKER_SETTINGS.resetTimeoutMs),
  /** Retries on another Triton endpoint may add this percent of requests (over 10 s)... */
  TRITON_RETRY_BUDGET_PERCENT: z.coerce
    .number()
    .min(0)
    .max(100)
    .default(DEFAULT_RETRY_BUDGET.percent),
  /** ...plus this many retries per second, so light traffic can retry at all. */
  TRITON_RETRY_MIN_PER_SECOND: z.coerce.number().min(0).default(DEFAULT_RETRY_BUDGET.minPerSecond),
  /** Per-tenant and per tenant × model limits as JSON (docs/api.md "Rate limits"). */
  GATEWAY_RATE_LIMITS: z
    .string()
    .optional()
    .transform((value, context) => {
      const parsed = parseRateLimitSettings(value);
      if ('settings' in parsed) return parsed.settings;
      for (const problem of parsed.problems) context.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }),
  /** Redis shared by every replica for rate limits; unset: limits are kept in this process. */
  REDIS_URL: z
    .string()
    .optional()
    .refine((value) => value === undefined || value === '' || /^rediss?:\/\/./.test(value), {
      message: 'must be a redis:// or rediss:// URL',
    }),
  /** Longest a rate-limit check waits for Redis before the per-replica insurance limiter answers. */
  REDIS_TIMEOUT_MS: positiveInt.max(10_000).default(200),
  /** Replicas sharing REDIS_URL: while Redis is unreachable, each enforces 1/N of every limit. */
  GATEWAY_REPLICAS: positiveInt.max(10_000).default(1),
  /** Deadline of a request whose caller gave none and whose model sets no gateway.timeout_ms. */
  GATEWAY_DEFAULT_TIMEOUT_MS: positiveInt.max(MAX_TIMER_MS).default(30_000),
  /**
   * Requests of one model version at the backend at once (model override: gateway.max_in_flight);
   * 0: one batch per model instance (max_batch_size × instances), two per instance and endpoint in
   * front of Triton.
   */
  GATEWAY_MAX_IN_FLIGHT_PER_MODEL: z.coerce.number().int().min(0).default(0),
  /** Requests of one model version waiting for a slot (gateway.max_queue); 0: refuse when all are busy. */
  GATEWAY_MAX_QUEUE_PER_MODEL: z.coerce.number().int().min(0).default(128),
  /**
   * adaptive: the in-flight bound is learnt from latency, up to the max in flight (docs/api.md
   * "Deadlines, priorities and load shedding"); fixed: the max in flight itself.
   */
  GATEWAY_ADMISSION_LIMIT: z.enum(['adaptive', 'fixed']).default('adaptive'),
  /**
   * Longest a request should wait for a slot before it is refused with 429 (gateway.queue_target_ms);
   * unset: one estimated service time, or half the caller's deadline if longer; 0: no target
   * (only the deadline and the max queue bound it).
   */
  GATEWAY_ADMISSION_QUEUE_TARGET_MS: z.coerce.number().int().min(0).max(MAX_TIMER_MS).optional(),
  /**
   * HTTP/2 flow-control window of each gRPC stream (SETTINGS_INITIAL_WINDOW_SIZE): the most a
   * stream nobody reads yet (its call awaiting authentication, its handler busy) can make the
   * gateway hold. 65535 is HTTP/2's default; docs/api.md "gRPC connections and streams" has the
   * measurement behind the default.
   */
  GATEWAY_GRPC_STREAM_WINDOW_BYTES: positiveInt
    .min(65_535)
    .max(2 ** 31 - 1)
    .default(2 * 1024 * 1024),
  /** Concurrent streams (calls) per gRPC connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  GATEWAY_GRPC_MAX_CONCURRENT_STREAMS: positiveInt.max(2 ** 31 - 1).default(100),
  /** Open gRPC connections from one remote address; beyond it a new one is closed (GOAWAY). */
  GATEWAY_GRPC_MAX_CONNECTIONS_PER_PEER: positiveInt.default(64),
  /** Open gRPC connections in all. */
  GATEWAY_GRPC_MAX_CONNECTIONS: positiveInt.default(2048),
  /** A gRPC connection without a call for this long is closed (GOAWAY); 0: never. */
  GATEWAY_GRPC_MAX_CONNECTION_IDLE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_TIMER_MS)
    .default(300_000),
  /** A gRPC connection older than this (±10 %) is asked to reconnect (GOAWAY); 0: never. */
  GATEWAY_GRPC_MAX_CONNECTION_AGE_MS: z.coerce.number().int().min(0).max(MAX_TIMER_MS).default(0),
  /**
   * Time a unary call's request (or a server stream's) has to arrive from the call's start, and
   * each message of a client or bidi stream, once begun, to arrive whole.
   */
  GATEWAY_GRPC_RECEIVE_TIMEOUT_MS: positiveInt.max(MAX_TIMER_MS).default(10_000),
  /** ModelStreamInfer: reading pauses while answers of this many bytes wait for the client to take them. */
  GATEWAY_GRPC_STREAM_MAX_UNSENT_BYTES: positiveInt.max(2 ** 31 - 1).default(8 * 1024 * 1024),
  /** Open grpc.health.v1 Watch streams (public) from one remote address... */
  GATEWAY_GRPC_MAX_WATCHES_PER_PEER: positiveInt.default(16),
  /** ...and in all. */
  GATEWAY_GRPC_MAX_WATCHES: positiveInt.default(1024),
  /** How often gRPC health (grpc.health.v1) re-reads the backend's readiness. */
  GATEWAY_READINESS_POLL_MS: positiveInt.min(50).default(1000),
  /**
   * The models the gateway must serve to be ready, like Triton's --strict-readiness: `*` every
   * model of the repository (but those unloaded on request), a comma-separated list of names, or
   * empty for none (ready once the backend is).
   */
  GATEWAY_REQUIRED_MODELS: z
    .string()
    .default('*')
    .transform((value, context): RequiredModels => {
      if (value.trim() === '*') return '*';
      const names = value
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '');
      for (const name of names) {
        if (!MODEL_NAME.test(name)) {
          context.addIssue({
            code: 'custom',
            message: `'${name}' is not a model name (letters, digits, '.', '_', '-'; or '*' alone for all)`,
          });
        }
      }
      return [...new Set(names)];
    }),
  /**
   * Dynamic batching: auto (fixed where config.pbtxt has dynamic_batching, on the embedded backend;
   * off in front of Triton, whose own batcher does it), off, fixed, adaptive.
   */
  GATEWAY_BATCHING: z.enum(['auto', 'off', 'fixed', 'adaptive']).default('auto'),
  /** Overrides every model's dynamic_batching.max_queue_delay_microseconds (at most 10 s). */
  GATEWAY_BATCH_MAX_QUEUE_DELAY_US: z.coerce.number().int().min(0).max(10_000_000).optional(),
  /** Caps every model's batch size (never above its max_batch_size). */
  GATEWAY_BATCH_MAX_SIZE: positiveInt.optional(),
  /**
   * Bound of each priority level's batch queue where the model's queue policy sets none; unset:
   * none of its own, since every request in a batch queue holds an admission slot (the version's
   * in-flight bound is the bound).
   */
  GATEWAY_BATCH_MAX_QUEUE: positiveInt.optional(),
  /** Batches in flight per model version; 0: the model's instance_group count × backend endpoints. */
  GATEWAY_BATCH_MAX_IN_FLIGHT: z.coerce.number().int().min(0).default(0),
  /** Adaptive batching's p99 objective where a model sets no gateway.batching.p99_objective_ms. */
  GATEWAY_BATCH_P99_OBJECTIVE_MS: z.coerce.number().positive().max(MAX_TIMER_MS).default(100),
  // Routing (gateway/src/routing/): where the routing table comes from, if anywhere.
  /** This replica's name to the control plane, stable across restarts; unset: the host name. */
  GATEWAY_ID: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be 1-128 letters, digits, . _ : -')
      .optional(),
  ),
  /** The control plane's gRPC address (host:port) to watch the routing table from. */
  GATEWAY_CONTROL_PLANE_ADDRESS: z
    .string()
    .optional()
    .refine((value) => !value || hostPortProblem(value) === undefined, {
      message: 'must be host:port (e.g. control-plane:4001, [::1]:4001)',
    }),
  /** Sent as `authorization: Bearer` to the control plane (an operator key). */
  GATEWAY_CONTROL_PLANE_API_KEY: z.string().optional(),
  /** A RoutingSnapshot in protobuf JSON, re-read when it changes (air-gapped setups, GitOps). */
  GATEWAY_ROUTING_FILE: z.string().optional(),
  /** How often the call statistics are sent to the control plane. */
  GATEWAY_STATISTICS_REPORT_MS: positiveInt.min(100).max(MAX_TIMER_MS).default(1000),
});

/** Settings whose values an error must not repeat, besides the credentials of auth-config.ts. */
const ROUTING_SECRET_SETTINGS: ReadonlySet<string> = new Set(['GATEWAY_CONTROL_PLANE_API_KEY']);

/** One routing source at most: two writers of one table would undo each other's revisions. */
function checkRoutingEnv(raw: RawConfig, context: z.RefinementCtx): void {
  if (raw.GATEWAY_CONTROL_PLANE_ADDRESS && raw.GATEWAY_ROUTING_FILE) {
    context.addIssue({
      code: 'custom',
      path: ['GATEWAY_ROUTING_FILE'],
      message: 'and GATEWAY_CONTROL_PLANE_ADDRESS are mutually exclusive: set one routing source',
    });
  }
}

/** HTTP settings that bound each other: Node refuses a head deadline past the request's. */
function checkHttpEnv(raw: RawConfig, context: z.RefinementCtx): void {
  const headersMs = raw.GATEWAY_HTTP_HEADERS_TIMEOUT_MS;
  if (headersMs !== undefined && headersMs > raw.GATEWAY_HTTP_REQUEST_TIMEOUT_MS) {
    context.addIssue({
      code: 'custom',
      path: ['GATEWAY_HTTP_HEADERS_TIMEOUT_MS'],
      message: `must not exceed GATEWAY_HTTP_REQUEST_TIMEOUT_MS (${raw.GATEWAY_HTTP_REQUEST_TIMEOUT_MS})`,
    });
  }
  if (raw.GATEWAY_HTTP_BODY_BUDGET_BYTES < raw.GATEWAY_MAX_BODY_BYTES) {
    context.addIssue({
      code: 'custom',
      path: ['GATEWAY_HTTP_BODY_BUDGET_BYTES'],
      message: `must be at least GATEWAY_MAX_BODY_BYTES (${raw.GATEWAY_MAX_BODY_BYTES}), or no body of that size could arrive`,
    });
  }
}

/** Why `entry` is not host:port (IPv6 hosts in brackets), or undefined when it is. */
function hostPortProblem(entry: string): string | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(entry);
  if (!match) return 'is not host:port (e.g. triton-0:8001, [::1]:8001)';
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return `has port ${match[2]} outside 1..65535`;
  return undefined;
}

/** A value as an error may show it: a password inside REDIS_URL never reaches a log. */
function shownValue(variable: string, value: string | undefined): string | undefined {
  const secret = SECRET_SETTINGS.has(variable) || ROUTING_SECRET_SETTINGS.has(variable);
  if (secret && value !== undefined) return '(secret, not shown)';
  if (variable !== 'REDIS_URL' || value === undefined) return value;
  return value.replace(/\/\/[^@/]*@/, '//***@');
}

type RawConfig = z.infer<typeof schema>;

export type ModelControlMode = RawConfig['GATEWAY_MODEL_CONTROL_MODE'];

/** The decode budget must hold the largest image the limits let through, or that image would wait forever. */
function checkImageEnv(raw: RawConfig, context: z.RefinementCtx): void {
  if (raw.GATEWAY_IMAGE_DECODE_BUDGET_BYTES < raw.GATEWAY_MAX_IMAGE_DECODED_BYTES) {
    context.addIssue({
      code: 'custom',
      path: ['GATEWAY_IMAGE_DECODE_BUDGET_BYTES'],
      message: `must be at least GATEWAY_MAX_IMAGE_DECODED_BYTES (${raw.GATEWAY_MAX_IMAGE_DECODED_BYTES})`,
    });
  }
}

export interface StreamSettings {
  frameDeadlineMs: number;
  perTenant: number;
  maxCameras: number;
  /** '' turns re-identification off. */
  reidModel: string;
  reidEmbedding: 'model' | 'colour-histogram';
  reidThreshold: number;
  reidMaxTransitMs: number;
  maxSources: number;
  ffmpegPath: string;
}

export interface GatewayConfig {
  host: string;
  httpPort: number;
  grpcPort: number;
  modelRepository: string;
  /** Whether the model_repository extension may load and unload models (embedded backend). */
  modelControlMode: ModelControlMode;
  maxBodyBytes: number;
  /** What the vision API decodes: limits read from the image header, and decodes at once. */
  images: ImageSettings;
  /** Interval of the idle check that gives memory back after a burst; 0: off. */
  idleReclaimMs: number;
  /** Shadow copies: how many may run at once, and how long one may take. */
  shadows: { maxInFlight: number; timeoutMs: number };
  ortIntraOpThreads: number;
  /** Camera streams and server-pulled sources (streams/, sources/). */
  streams: StreamSettings;
  detectDefaults: { scoreThreshold: number; iouThreshold: number; maxDetections: number };
  /** Images one detect call may carry. */
  detectMaxImages: number;
  /** Origins allowed to call from a browser (CORS); empty: none. */
  corsOrigins: CorsOrigins;
  logLevel: RawConfig['LOG_LEVEL'];
  logFormat: 'json' | 'pretty';
  /** The access log and OpenTelemetry tracing (tracing/tracing-config.ts). */
  tracing: TracingConfig;
  hstsMaxAgeSeconds: number;
  /** Deadlines and memory of the HTTP server (http-server/http-server-options.ts, body-guard.ts). */
  http: {
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    keepAliveTimeoutMs: number;
    bodyBudgetBytes: number;
  };
  /** `urls` empty: the embedded ONNX Runtime backend serves the models instead of Triton. */
  triton: {
    urls: string[];
    timeoutMs: number;
    healthIntervalMs: number;
    apiKey?: string;
    /** Bounds retries of failed calls on another endpoint. */
    retryBudget: RetryBudgetSettings;
  };
  /** The circuit breaker of each backend endpoint (each Triton endpoint; the embedded runtime). */
  breaker: BreakerSettings;
  /** Credentials (API keys, JWT), the key store, /metrics access. */
  auth: AuthConfig;
  /** `redisUrl` unset: counters in memory (one replica); set: shared in Redis. */
  rateLimits: {
    settings: RateLimitSettings;
    redisUrl?: string;
    redisTimeoutMs: number;
    replicas: number;
  };
  /** Per-model admission defaults; config.pbtxt parameters gateway.* override them per model. */
  admission: {
    defaultTimeoutMs: number;
    maxInFlightPerModel: number;
    maxQueuePerModel: number;
    limit: RawConfig['GATEWAY_ADMISSION_LIMIT'];
    /** undefined: one estimated service time; 0: none. */
    queueTargetMs?: number;
  };
  /** The gRPC transport's bounds on connections, streams and what a stream may hold. */
  grpc: GrpcTransportLimits;
  readinessPollMs: number;
  /** What readiness waits for (GATEWAY_REQUIRED_MODELS). */
  requiredModels: RequiredModels;
  /** Gateway-wide dynamic batching settings; each model's config.pbtxt supplies the rest. */
  batching: {
    mode: RawConfig['GATEWAY_BATCHING'];
    maxQueueDelayUs?: number;
    maxBatchSize?: number;
    /** undefined: bounded by admission only. */
    maxQueue?: number;
    maxBatchesInFlight: number;
    p99ObjectiveMs: number;
  };
  /** Where the routing table comes from: the control plane, a file, or nowhere (identity). */
  routing: RoutingSettings;
}

/** The routing table's source (at most one of controlPlane and file) and this replica's name. */
export interface RoutingSettings {
  gatewayId: string;
  controlPlane?: { address: string; apiKey?: string };
  /** Absolute path of a RoutingSnapshot in protobuf JSON. */
  file?: string;
  statisticsReportMs: number;
}

/** How many of something one remote address, and everyone together, may hold at once. */
export interface PeerLimits {
  perPeer: number;
  total: number;
}

/** The gRPC transport's bounds (GATEWAY_GRPC_* settings). */
export interface GrpcTransportLimits {
  streamWindowBytes: number;
  maxConcurrentStreams: number;
  connections: PeerLimits;
  /** 0: never. */
  maxConnectionIdleMs: number;
  /** 0: never. */
  maxConnectionAgeMs: number;
  receiveTimeoutMs: number;
  streamMaxUnsentBytes: number;
  watches: PeerLimits;
}

export interface ImageSettings {
  maxPixels: number;
  maxSide: number;
  maxDecodedBytes: number;
  decodeBudgetBytes: number;
  decodeQueue: number;
}

export class InvalidConfigurationError extends Error {}

/** Validates the environment once at start-up; the error names every bad variable and its value. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const parsed = schema
    .superRefine(checkAuthEnv)
    .superRefine(checkHttpEnv)
    .superRefine(checkImageEnv)
    .superRefine(checkRoutingEnv)
    .safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0]);
      return `${variable} ${issue.message} (got ${JSON.stringify(shownValue(variable, env[variable]))})`;
    });
    throw new InvalidConfigurationError(`Invalid gateway configuration: ${problems.join('; ')}`);
  }
  const raw = parsed.data;
  return {
    host: raw.GATEWAY_HOST,
    httpPort: raw.GATEWAY_HTTP_PORT,
    grpcPort: raw.GATEWAY_GRPC_PORT,
    modelRepository: resolve(raw.MODEL_REPOSITORY),
    modelControlMode: raw.GATEWAY_MODEL_CONTROL_MODE,
    maxBodyBytes: raw.GATEWAY_MAX_BODY_BYTES,
    images: {
      maxPixels: raw.GATEWAY_MAX_IMAGE_PIXELS,
      maxSide: raw.GATEWAY_MAX_IMAGE_SIDE,
      maxDecodedBytes: raw.GATEWAY_MAX_IMAGE_DECODED_BYTES,
      decodeBudgetBytes: raw.GATEWAY_IMAGE_DECODE_BUDGET_BYTES,
      decodeQueue: raw.GATEWAY_IMAGE_DECODE_QUEUE,
    },
    idleReclaimMs: raw.GATEWAY_IDLE_RECLAIM_MS,
    shadows: {
      maxInFlight: raw.GATEWAY_SHADOW_MAX_IN_FLIGHT,
      timeoutMs: raw.GATEWAY_SHADOW_TIMEOUT_MS,
    },
    ortIntraOpThreads: raw.ORT_INTRA_OP_THREADS,
    streams: {
      frameDeadlineMs: raw.GATEWAY_STREAM_FRAME_DEADLINE_MS,
      perTenant: raw.GATEWAY_STREAMS_PER_TENANT,
      maxCameras: raw.GATEWAY_STREAM_MAX_CAMERAS,
      reidModel: raw.GATEWAY_REID_MODEL,
      reidEmbedding: raw.GATEWAY_REID_EMBEDDING,
      reidThreshold:
        raw.GATEWAY_REID_THRESHOLD ?? (raw.GATEWAY_REID_EMBEDDING === 'model' ? 0.75 : 0.85),
      reidMaxTransitMs: raw.GATEWAY_REID_MAX_TRANSIT_MS,
      maxSources: raw.GATEWAY_SOURCES_MAX,
      ffmpegPath: raw.GATEWAY_FFMPEG_PATH,
    },
    detectDefaults: {
      scoreThreshold: raw.DETECT_SCORE_THRESHOLD,
      iouThreshold: raw.DETECT_IOU_THRESHOLD,
      maxDetections: raw.DETECT_MAX_DETECTIONS,
    },
    detectMaxImages: raw.GATEWAY_DETECT_MAX_IMAGES,
    corsOrigins: raw.GATEWAY_CORS_ORIGINS,
    logLevel: raw.LOG_LEVEL,
    logFormat: raw.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty'),
    tracing: tracingConfigFrom(raw),
    hstsMaxAgeSeconds: raw.GATEWAY_HSTS_MAX_AGE_SECONDS,
    http: {
      requestTimeoutMs: raw.GATEWAY_HTTP_REQUEST_TIMEOUT_MS,
      // Unset: 10 s, or the whole request's deadline when that is shorter.
      headersTimeoutMs:
        raw.GATEWAY_HTTP_HEADERS_TIMEOUT_MS ??
        Math.min(10_000, raw.GATEWAY_HTTP_REQUEST_TIMEOUT_MS),
      keepAliveTimeoutMs: raw.GATEWAY_HTTP_KEEP_ALIVE_TIMEOUT_MS,
      bodyBudgetBytes: raw.GATEWAY_HTTP_BODY_BUDGET_BYTES,
    },
    triton: {
      urls: raw.TRITON_GRPC_URLS,
      timeoutMs: raw.TRITON_TIMEOUT_MS,
      healthIntervalMs: raw.TRITON_HEALTH_INTERVAL_MS,
      apiKey: raw.TRITON_API_KEY,
      retryBudget: {
        percent: raw.TRITON_RETRY_BUDGET_PERCENT,
        minPerSecond: raw.TRITON_RETRY_MIN_PER_SECOND,
        windowMs: DEFAULT_RETRY_BUDGET.windowMs,
      },
    },
    breaker: {
      errorThresholdPercent: raw.GATEWAY_BREAKER_ERROR_PERCENT,
      volumeThreshold: raw.GATEWAY_BREAKER_VOLUME_THRESHOLD,
      windowMs: raw.GATEWAY_BREAKER_WINDOW_MS,
      resetTimeoutMs: raw.GATEWAY_BREAKER_RESET_MS,
    },
    auth: authConfigFrom(raw),
    rateLimits: {
      settings: raw.GATEWAY_RATE_LIMITS,
      ...(raw.REDIS_URL ? { redisUrl: raw.REDIS_URL } : {}),
      redisTimeoutMs: raw.REDIS_TIMEOUT_MS,
      replicas: raw.GATEWAY_REPLICAS,
    },
    admission: {
      defaultTimeoutMs: raw.GATEWAY_DEFAULT_TIMEOUT_MS,
      maxInFlightPerModel: raw.GATEWAY_MAX_IN_FLIGHT_PER_MODEL,
      maxQueuePerModel: raw.GATEWAY_MAX_QUEUE_PER_MODEL,
      limit: raw.GATEWAY_ADMISSION_LIMIT,
      queueTargetMs: raw.GATEWAY_ADMISSION_QUEUE_TARGET_MS,
    },
    readinessPollMs: raw.GATEWAY_READINESS_POLL_MS,
    requiredModels: raw.GATEWAY_REQUIRED_MODELS,
    grpc: {
      streamWindowBytes: raw.GATEWAY_GRPC_STREAM_WINDOW_BYTES,
      maxConcurrentStreams: raw.GATEWAY_GRPC_MAX_CONCURRENT_STREAMS,
      connections: {
        perPeer: raw.GATEWAY_GRPC_MAX_CONNECTIONS_PER_PEER,
        total: raw.GATEWAY_GRPC_MAX_CONNECTIONS,
      },
      maxConnectionIdleMs: raw.GATEWAY_GRPC_MAX_CONNECTION_IDLE_MS,
      maxConnectionAgeMs: raw.GATEWAY_GRPC_MAX_CONNECTION_AGE_MS,
      receiveTimeoutMs: raw.GATEWAY_GRPC_RECEIVE_TIMEOUT_MS,
      streamMaxUnsentBytes: raw.GATEWAY_GRPC_STREAM_MAX_UNSENT_BYTES,
      watches: {
        perPeer: raw.GATEWAY_GRPC_MAX_WATCHES_PER_PEER,
        total: raw.GATEWAY_GRPC_MAX_WATCHES,
      },
    },
    batching: {
      mode: raw.GATEWAY_BATCHING,
      maxQueueDelayUs: raw.GATEWAY_BATCH_MAX_QUEUE_DELAY_US,
      maxBatchSize: raw.GATEWAY_BATCH_MAX_SIZE,
      maxQueue: raw.GATEWAY_BATCH_MAX_QUEUE,
      maxBatchesInFlight: raw.GATEWAY_BATCH_MAX_IN_FLIGHT,
      p99ObjectiveMs: raw.GATEWAY_BATCH_P99_OBJECTIVE_MS,
    },
    routing: {
      gatewayId: raw.GATEWAY_ID ?? hostname(),
      ...(raw.GATEWAY_CONTROL_PLANE_ADDRESS
        ? {
            controlPlane: {
              address: raw.GATEWAY_CONTROL_PLANE_ADDRESS,
              ...(raw.GATEWAY_CONTROL_PLANE_API_KEY
                ? { apiKey: raw.GATEWAY_CONTROL_PLANE_API_KEY }
                : {}),
            },
          }
        : {}),
      ...(raw.GATEWAY_ROUTING_FILE ? { file: resolve(raw.GATEWAY_ROUTING_FILE) } : {}),
      statisticsReportMs: raw.GATEWAY_STATISTICS_REPORT_MS,
    },
  };
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

/**
 * The slices of the configuration that modules inject, each only the part it reads: a module's
 * constructor says what it depends on, and its tests build just that part.
 */
export const CONFIG_SLICE = {
  admission: Symbol('config.admission'),
  batching: Symbol('config.batching'),
  images: Symbol('config.images'),
  detectDefaults: Symbol('config.detectDefaults'),
  detectMaxImages: Symbol('config.detectMaxImages'),
  grpc: Symbol('config.grpc'),
  maxBodyBytes: Symbol('config.maxBodyBytes'),
  shadows: Symbol('config.shadows'),
  streams: Symbol('config.streams'),
  routing: Symbol('config.routing'),
  requiredModels: Symbol('config.requiredModels'),
} as const satisfies { [K in keyof GatewayConfig]?: symbol };

export type ConfigSlice<K extends keyof typeof CONFIG_SLICE> = GatewayConfig[K];
