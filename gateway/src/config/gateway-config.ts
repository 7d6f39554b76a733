import { resolve } from 'node:path';
import { z } from 'zod';

// 0 asks the OS for a free port (tests, several gateways on one host).
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const probability = z.coerce.number().min(0).max(1);

/** Every setting the gateway reads from its environment, with defaults for the one-command start. */
const schema = z.object({
  GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
  GATEWAY_HTTP_PORT: port.default(8080),
  GATEWAY_GRPC_PORT: port.default(8081),
  MODEL_REPOSITORY: z.string().min(1).default('triton-models'),
  /** Largest accepted request body (HTTP) or message (gRPC). */
  // At most 2^31 - 1: gRPC's message-length limit and HTTP/2's largest flow-control window.
  GATEWAY_MAX_BODY_BYTES: positiveInt.max(2 ** 31 - 1).default(64 * 1024 * 1024),
  /** Decoded-image size cap, so a small compressed file cannot expand into gigabytes of pixels. */
  GATEWAY_MAX_IMAGE_PIXELS: positiveInt.default(40_000_000),
  /** ONNX Runtime intra-op threads per session; 0 lets ONNX Runtime choose. */
  ORT_INTRA_OP_THREADS: z.coerce.number().int().min(0).default(0),
  DETECT_SCORE_THRESHOLD: probability.default(0.35),
  DETECT_IOU_THRESHOLD: probability.default(0.6),
  DETECT_MAX_DETECTIONS: positiveInt.max(1000).default(100),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
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
});

/** Why `entry` is not host:port (IPv6 hosts in brackets), or undefined when it is. */
function hostPortProblem(entry: string): string | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(entry);
  if (!match) return 'is not host:port (e.g. triton-0:8001, [::1]:8001)';
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return `has port ${match[2]} outside 1..65535`;
  return undefined;
}

type RawConfig = z.infer<typeof schema>;

export interface GatewayConfig {
  host: string;
  httpPort: number;
  grpcPort: number;
  modelRepository: string;
  maxBodyBytes: number;
  maxImagePixels: number;
  ortIntraOpThreads: number;
  detectDefaults: { scoreThreshold: number; iouThreshold: number; maxDetections: number };
  logLevel: RawConfig['LOG_LEVEL'];
  /** `urls` empty: the embedded ONNX Runtime backend serves the models instead of Triton. */
  triton: { urls: string[]; timeoutMs: number; healthIntervalMs: number };
}

export class InvalidConfigurationError extends Error {}

/** Validates the environment once at start-up; the error names every bad variable and its value. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0]);
      return `${variable} ${issue.message} (got ${JSON.stringify(env[variable])})`;
    });
    throw new InvalidConfigurationError(`Invalid gateway configuration: ${problems.join('; ')}`);
  }
  const raw = parsed.data;
  return {
    host: raw.GATEWAY_HOST,
    httpPort: raw.GATEWAY_HTTP_PORT,
    grpcPort: raw.GATEWAY_GRPC_PORT,
    modelRepository: resolve(raw.MODEL_REPOSITORY),
    maxBodyBytes: raw.GATEWAY_MAX_BODY_BYTES,
    maxImagePixels: raw.GATEWAY_MAX_IMAGE_PIXELS,
    ortIntraOpThreads: raw.ORT_INTRA_OP_THREADS,
    detectDefaults: {
      scoreThreshold: raw.DETECT_SCORE_THRESHOLD,
      iouThreshold: raw.DETECT_IOU_THRESHOLD,
      maxDetections: raw.DETECT_MAX_DETECTIONS,
    },
    logLevel: raw.LOG_LEVEL,
    triton: {
      urls: raw.TRITON_GRPC_URLS,
      timeoutMs: raw.TRITON_TIMEOUT_MS,
      healthIntervalMs: raw.TRITON_HEALTH_INTERVAL_MS,
    },
  };
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
