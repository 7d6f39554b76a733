import * as path from 'node:path';
import {
  isPublicKeyPem,
  jwtConfigFrom,
  jwtSettingProblems,
  parseApiKey,
  type JwtConfig,
  type JwtSettingValues,
} from '@auth';
import { parseCorsOrigins, type CorsOrigins } from '@http-edge';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '@logging';
import { z } from 'zod';

export interface ControlPlaneConfig {
  nodeEnv: 'development' | 'production' | 'test';
  /** The shared JSON logger's settings (`@logging`, the gateway's redaction). */
  logging: { level: LogLevel; format: LogFormat };
  host: string;
  port: number;
  /** postgres:// URL of a Postgres server; when absent the embedded PGlite database is used. */
  databaseUrl?: string;
  /** Absolute path; PGlite keeps its files under `<dataDir>/pglite`. */
  dataDir: string;
  /** Absolute path of the Triton model repository to register models from. */
  modelRepository: string;
  /** Where the GraphQL SDL is written at start-up (development only), or null to keep it in memory. */
  graphqlSchemaFile: string | null;
  http: HttpLimits;
  graphql: GraphqlLimits;
  auth: ControlPlaneAuthConfig;
  uploads: UploadLimits;
  mlflow: MlflowSettings;
  backends: BackendSettings;
  /** Where the canary analysis reads its metrics; undefined: the gateways' statistics reports. */
  prometheus?: PrometheusSettings;
  /** The gRPC server gateways watch the routing table on (control-plane/src/routing/). */
  grpc: GrpcSettings;
}

export interface GrpcSettings {
  host: string;
  /** 0: a free port the OS picks (tests). */
  port: number;
}

/** The Prometheus server that scrapes the gateways (CONTROL_PLANE_PROMETHEUS_URL). */
export interface PrometheusSettings {
  /** http(s) URL of the server (its HTTP API is under /api/v1). */
  url: string;
  /** Bound on each PromQL query. */
  timeoutMs: number;
}

/** The inference backends whose model repository the control plane manages (KServe v2 gRPC). */
export interface BackendSettings {
  endpoints: BackendEndpoint[];
  /** Sent as `authorization: Bearer` (the gateway's repository API needs the admin scope). */
  apiKey?: string;
  /** Bound on one load, unload or index call; loading a large model takes a while. */
  timeoutMs: number;
}

export interface BackendEndpoint {
  name: string;
  /** host:port of its gRPC server. */
  address: string;
}

/** The MLflow tracking server versions are registered from; optional in the embedded default. */
export interface MlflowSettings {
  /** http(s) URL; undefined: registering from `runs:/` or `models:/` is refused with a clear error. */
  trackingUri?: string;
  /** MLFLOW_TRACKING_TOKEN, sent as a bearer token. */
  token?: string;
  /** Bound on each MLflow call (a download: on each wait for the next bytes). */
  timeoutMs: number;
}

/** Artifact uploads (`/v1/uploads`): stored under `<dataDir>/uploads`, bounded in size and age. */
export interface UploadLimits {
  /** Largest Upload-Length a caller may declare. */
  maxBytes: number;
  /** An upload (finished or not) is deleted this long after it was created, unless claimed. */
  ttlSeconds: number;
  /** A request streaming upload bytes must end within this time (instead of requestTimeoutMs). */
  requestTimeoutMs: number;
}

/** Who may call the control plane (control-plane/src/auth/). */
export interface ControlPlaneAuthConfig {
  /** Ensured as an admin key at start-up; unset: the first start on an empty key table makes one. */
  bootstrapAdminKey?: string;
  /** How long a verified API key is trusted without reading the key table or running scrypt. */
  apiKeyCacheTtlMs: number;
  /** undefined: JWT bearer tokens are refused. */
  jwt?: JwtConfig;
}

/** What one HTTP connection or request may hold, and for how long. */
export interface HttpLimits {
  /** Largest request body; a declared Content-Length above it is refused before any byte is read. */
  maxBodyBytes: number;
  /** Bytes of request bodies being received at once, over every connection. */
  maxPendingBodyBytes: number;
  /** The request line and headers must arrive within this time. */
  headersTimeoutMs: number;
  /** The whole request, headers and body, must arrive within this time (408 otherwise). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this time. */
  keepAliveTimeoutMs: number;
  /** A connection on which no byte moves either way for this long while a request is open is closed. */
  idleTimeoutMs: number;
  /** Open connections; further ones are closed as they arrive. */
  maxConnections: number;
  /** Strict-Transport-Security max-age; 0 sends no HSTS header. */
  hstsMaxAgeSeconds: number;
  /** Origins browsers may call /graphql from (CORS); empty: none. */
  corsOrigins: CorsOrigins;
}

/** What one GraphQL operation may ask for; every bound is checked before anything executes. */
export interface GraphqlLimits {
  /** Whether `__schema` / `__type` may be queried. */
  introspection: boolean;
  /** Lexical tokens in the document: parsing stops there. */
  maxTokens: number;
  /** Nesting of fields, fragments expanded. */
  maxDepth: number;
  /** Aliased fields in an operation, fragments expanded. */
  maxAliases: number;
  /** Fields in an operation, fragments expanded (each spread counted where it is used). */
  maxFields: number;
  /** Estimated cost of an operation: a connection's page size multiplies what its items select. */
  maxComplexity: number;
}

/** The committed GraphQL contract, relative to the repository root. */
export const GRAPHQL_SCHEMA_FILE = 'control-plane/schema.graphql';

export type ControlPlaneEnv = Readonly<Record<string, string | undefined>>;

/** Node's timers cap a delay at 2^31 - 1 ms; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function integerSetting(min: number, max: number) {
  const message = `must be an integer ${min}-${max}`;
  return z
    .string()
    .trim()
    .regex(/^\d+$/, message)
    .transform(Number)
    .refine((value) => value >= min && value <= max, message);
}

const booleanSetting = z.enum(['true', 'false'], "must be 'true' or 'false'");

const postgresUrlSchema = z
  .string()
  .trim()
  .refine(isPostgresUrl, 'must be a postgres:// or postgresql:// URL');

const nonEmptyPathSchema = z.string().trim().min(1, 'must be a non-empty path');

/** Settings whose values an error message must not repeat. */
const SECRET_SETTINGS: ReadonlySet<string> = new Set([
  'CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY',
  'CONTROL_PLANE_JWT_HS256_SECRET',
]);

/** Each shared JWT setting (libs/auth) by its control-plane name, mirroring GATEWAY_JWT_*. */
const JWT_SETTINGS = {
  jwksUrl: 'CONTROL_PLANE_JWT_JWKS_URL',
  publicKey: 'CONTROL_PLANE_JWT_PUBLIC_KEY',
  hs256Secret: 'CONTROL_PLANE_JWT_HS256_SECRET',
  issuer: 'CONTROL_PLANE_JWT_ISSUER',
  audience: 'CONTROL_PLANE_JWT_AUDIENCE',
} as const;

// Empty strings count as unset: compose files and shells often export `VAR=` to mean "default".
const envSchema = z
  .object({
    NODE_ENV: z
      .enum(['development', 'production', 'test'], 'must be one of development, production, test')
      .default('development'),
    CONTROL_PLANE_HOST: z.string().trim().min(1, 'must be a non-empty host').default('0.0.0.0'),
    LOG_LEVEL: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('log'),
    // json: one JSON object per line (log shippers); pretty: for people. Unset: json in production.
    LOG_FORMAT: z.enum(LOG_FORMATS, `must be one of ${LOG_FORMATS.join(', ')}`).optional(),
    CONTROL_PLANE_PORT: integerSetting(1, 65535).default(4000),
    // Unset: CONTROL_PLANE_HOST, and port 4001 (0 under NODE_ENV=test, where many run on one host).
    CONTROL_PLANE_GRPC_HOST: z.string().trim().min(1, 'must be a non-empty host').optional(),
    CONTROL_PLANE_GRPC_PORT: integerSetting(0, 65535).optional(),
    DATABASE_URL: postgresUrlSchema.optional(),
    CONTROL_PLANE_DATA_DIR: nonEmptyPathSchema.default('.data/control-plane'),
    MODEL_REPOSITORY: nonEmptyPathSchema.default('triton-models'),
    // A GraphQL request is a query and a few variables: 64 KiB is dozens of times the largest
    // query the registry UI sends, and the document itself is bounded by CONTROL_PLANE_GRAPHQL_MAX_TOKENS.
    CONTROL_PLANE_MAX_BODY_BYTES: integerSetting(1024, 16 * 1024 * 1024).default(64 * 1024),
    CONTROL_PLANE_MAX_PENDING_BODY_BYTES: integerSetting(1024, 2 ** 31 - 1).default(
      16 * 1024 * 1024,
    ),
    CONTROL_PLANE_HEADERS_TIMEOUT_MS: integerSetting(100, MAX_TIMER_MS).default(10_000),
    CONTROL_PLANE_REQUEST_TIMEOUT_MS: integerSetting(100, MAX_TIMER_MS).default(15_000),
    // Longer than the 60 s idle timeout of common load balancers, so that they, not the control
    // plane, close idle connections (a connection closed as the balancer reuses it fails a request).
    CONTROL_PLANE_KEEP_ALIVE_TIMEOUT_MS: integerSetting(100, MAX_TIMER_MS).default(72_000),
    CONTROL_PLANE_IDLE_TIMEOUT_MS: integerSetting(100, MAX_TIMER_MS).default(60_000),
    CONTROL_PLANE_MAX_CONNECTIONS: integerSetting(1, 1_000_000).default(1000),
    CONTROL_PLANE_HSTS_MAX_AGE_SECONDS: integerSetting(0, 2 ** 31 - 1).default(31_536_000),
    // Comma-separated exact origins, or '*' alone; empty: no CORS headers.
    CONTROL_PLANE_CORS_ORIGINS: z
      .string()
      .optional()
      .transform((value, context) => {
        const parsed = parseCorsOrigins(value);
        if ('origins' in parsed) return parsed.origins;
        for (const problem of parsed.problems)
          context.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }),
    CONTROL_PLANE_GRAPHQL_INTROSPECTION: booleanSetting.optional(),
    // graphql-js' parser recurses once per nesting level and overflows Node's stack past about
    // 2,000 levels: 4,000 tokens cannot nest more than about 1,300.
    CONTROL_PLANE_GRAPHQL_MAX_TOKENS: integerSetting(100, 4000).default(1000),
    CONTROL_PLANE_GRAPHQL_MAX_DEPTH: integerSetting(2, 1000).default(15),
    CONTROL_PLANE_GRAPHQL_MAX_ALIASES: integerSetting(0, 100_000).default(20),
    CONTROL_PLANE_GRAPHQL_MAX_FIELDS: integerSetting(1, 1_000_000).default(500),
    // 20 models × 20 versions × 20 fields is 8,000: the registry UI's widest page fits.
    CONTROL_PLANE_GRAPHQL_MAX_COMPLEXITY: integerSetting(1, 100_000_000).default(10_000),
    CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY: z
      .string()
      .trim()
      .refine(
        (value) => parseApiKey(value) !== undefined,
        'must be an API key of the form tcg_<12 base62 characters>_<43+ base64url characters> (e.g. from scripts/quickstart.sh)',
      )
      .optional(),
    // Revoking a key elsewhere (another replica, a gateway) is seen here within this time.
    CONTROL_PLANE_API_KEY_CACHE_TTL_MS: integerSetting(0, 3_600_000).default(30_000),
    CONTROL_PLANE_JWT_JWKS_URL: z
      .string()
      .trim()
      .regex(/^https?:\/\/.+/, 'must be an http:// or https:// URL')
      .optional(),
    CONTROL_PLANE_JWT_PUBLIC_KEY: z
      .string()
      .refine(isPublicKeyPem, 'must be a PEM public key (-----BEGIN PUBLIC KEY----- ...)')
      .optional(),
    CONTROL_PLANE_JWT_HS256_SECRET: z
      .string()
      .refine((value) => Buffer.byteLength(value) >= 32, 'must be at least 32 bytes long')
      .optional(),
    CONTROL_PLANE_JWT_ISSUER: z.string().trim().optional(),
    /** One audience or several, comma-separated: a token must name one of them. */
    CONTROL_PLANE_JWT_AUDIENCE: z.string().trim().optional(),
    CONTROL_PLANE_JWT_CLOCK_TOLERANCE_S: integerSetting(0, 300).default(30),
    CONTROL_PLANE_JWT_SCOPE_CLAIM: z.string().trim().min(1).optional(),
    CONTROL_PLANE_JWT_TENANT_CLAIM: z
      .string()
      .trim()
      .min(1, 'must be a claim name')
      .default('tenant'),
    // ONNX models of the size Triton serves on one GPU; a larger artifact belongs in object storage.
    CONTROL_PLANE_MAX_UPLOAD_BYTES: integerSetting(1, 2 ** 40).default(2 * 1024 ** 3),
    CONTROL_PLANE_BACKENDS: z
      .string()
      .trim()
      .transform((value, context) => parseBackends(value, context))
      .optional(),
    CONTROL_PLANE_BACKEND_API_KEY: z.string().trim().min(1).optional(),
    CONTROL_PLANE_BACKEND_TIMEOUT_MS: integerSetting(100, MAX_TIMER_MS).default(120_000),
    MLFLOW_TRACKING_URI: z
      .string()
      .trim()
      .refine(isHttpUrl, 'must be an http:// or https:// URL')
      .optional(),
    MLFLOW_TRACKING_TOKEN: z.string().trim().min(1).optional(),
    CONTROL_PLANE_MLFLOW_TIMEOUT_MS: integerSetting(100, MAX_TIMER_MS).default(30_000),
    CONTROL_PLANE_PROMETHEUS_URL: z
      .string()
      .trim()
      .refine(isHttpUrl, 'must be an http:// or https:// URL')
      .optional(),
    // A judgement runs every second, its queries in parallel; a slower answer is retried next tick.
    CONTROL_PLANE_PROMETHEUS_TIMEOUT_MS: integerSetting(100, 60_000).default(5000),
    CONTROL_PLANE_UPLOAD_TTL_SECONDS: integerSetting(1, 365 * 24 * 3600).default(24 * 3600),
    // 2 GiB at 5 MB/s takes about 7 minutes; a stalled upload is cut sooner by the idle timeout.
    CONTROL_PLANE_UPLOAD_REQUEST_TIMEOUT_MS: integerSetting(100, MAX_TIMER_MS).default(3_600_000),
  })
  .superRefine((values, context) => {
    if (values.CONTROL_PLANE_HEADERS_TIMEOUT_MS > values.CONTROL_PLANE_REQUEST_TIMEOUT_MS) {
      context.addIssue({
        code: 'custom',
        path: ['CONTROL_PLANE_HEADERS_TIMEOUT_MS'],
        message: `must not exceed CONTROL_PLANE_REQUEST_TIMEOUT_MS (${values.CONTROL_PLANE_REQUEST_TIMEOUT_MS})`,
      });
    }
    if (values.CONTROL_PLANE_MAX_PENDING_BODY_BYTES < values.CONTROL_PLANE_MAX_BODY_BYTES) {
      context.addIssue({
        code: 'custom',
        path: ['CONTROL_PLANE_MAX_PENDING_BODY_BYTES'],
        message: `must be at least CONTROL_PLANE_MAX_BODY_BYTES (${values.CONTROL_PLANE_MAX_BODY_BYTES})`,
      });
    }
    for (const problem of jwtSettingProblems(jwtValues(values), (field) => JWT_SETTINGS[field])) {
      context.addIssue({
        code: 'custom',
        path: [JWT_SETTINGS[problem.field]],
        message: problem.message,
      });
    }
  });

function jwtValues(values: {
  [K in (typeof JWT_SETTINGS)[keyof typeof JWT_SETTINGS]]?: string;
}): JwtSettingValues {
  return {
    jwksUrl: values.CONTROL_PLANE_JWT_JWKS_URL,
    publicKey: values.CONTROL_PLANE_JWT_PUBLIC_KEY,
    hs256Secret: values.CONTROL_PLANE_JWT_HS256_SECRET,
    issuer: values.CONTROL_PLANE_JWT_ISSUER,
    audience: values.CONTROL_PLANE_JWT_AUDIENCE,
  };
}

type EnvKey = keyof typeof envSchema.shape;

export class InvalidConfigurationError extends Error {
  override readonly name = 'InvalidConfigurationError';
}

/**
 * Reads and validates the control plane's settings from environment variables.
 * Throws an InvalidConfigurationError naming every bad variable and its value.
 */
export function loadControlPlaneConfig(
  env: ControlPlaneEnv,
  cwd: string = process.cwd(),
): ControlPlaneConfig {
  const relevant = Object.fromEntries(
    Object.keys(envSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]),
  );
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]) as EnvKey;
      const got = SECRET_SETTINGS.has(key) ? 'a value not shown' : JSON.stringify(relevant[key]);
      return `${key} ${issue.message} (got ${got})`;
    });
    throw new InvalidConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const values = parsed.data;
  return {
    nodeEnv: values.NODE_ENV,
    logging: {
      level: values.LOG_LEVEL,
      format: values.LOG_FORMAT ?? (values.NODE_ENV === 'production' ? 'json' : 'pretty'),
    },
    host: values.CONTROL_PLANE_HOST,
    port: values.CONTROL_PLANE_PORT,
    databaseUrl: values.DATABASE_URL,
    dataDir: path.resolve(cwd, values.CONTROL_PLANE_DATA_DIR),
    modelRepository: path.resolve(cwd, values.MODEL_REPOSITORY),
    graphqlSchemaFile:
      values.NODE_ENV === 'development' ? path.resolve(cwd, GRAPHQL_SCHEMA_FILE) : null,
    http: {
      maxBodyBytes: values.CONTROL_PLANE_MAX_BODY_BYTES,
      maxPendingBodyBytes: values.CONTROL_PLANE_MAX_PENDING_BODY_BYTES,
      headersTimeoutMs: values.CONTROL_PLANE_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: values.CONTROL_PLANE_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: values.CONTROL_PLANE_KEEP_ALIVE_TIMEOUT_MS,
      idleTimeoutMs: values.CONTROL_PLANE_IDLE_TIMEOUT_MS,
      maxConnections: values.CONTROL_PLANE_MAX_CONNECTIONS,
      hstsMaxAgeSeconds: values.CONTROL_PLANE_HSTS_MAX_AGE_SECONDS,
      corsOrigins: values.CONTROL_PLANE_CORS_ORIGINS,
    },
    graphql: {
      // Off in production unless asked for: the schema is a map of what to attack.
      introspection:
        values.CONTROL_PLANE_GRAPHQL_INTROSPECTION === undefined
          ? values.NODE_ENV !== 'production'
          : values.CONTROL_PLANE_GRAPHQL_INTROSPECTION === 'true',
      maxTokens: values.CONTROL_PLANE_GRAPHQL_MAX_TOKENS,
      maxDepth: values.CONTROL_PLANE_GRAPHQL_MAX_DEPTH,
      maxAliases: values.CONTROL_PLANE_GRAPHQL_MAX_ALIASES,
      maxFields: values.CONTROL_PLANE_GRAPHQL_MAX_FIELDS,
      maxComplexity: values.CONTROL_PLANE_GRAPHQL_MAX_COMPLEXITY,
    },
    auth: {
      bootstrapAdminKey: values.CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY,
      apiKeyCacheTtlMs: values.CONTROL_PLANE_API_KEY_CACHE_TTL_MS,
      jwt: jwtConfigFrom({
        ...jwtValues(values),
        clockToleranceS: values.CONTROL_PLANE_JWT_CLOCK_TOLERANCE_S,
        scopeClaim: values.CONTROL_PLANE_JWT_SCOPE_CLAIM,
        tenantClaim: values.CONTROL_PLANE_JWT_TENANT_CLAIM,
      }),
    },
    grpc: {
      host: values.CONTROL_PLANE_GRPC_HOST ?? values.CONTROL_PLANE_HOST,
      port: values.CONTROL_PLANE_GRPC_PORT ?? (values.NODE_ENV === 'test' ? 0 : 4001),
    },
    backends: {
      endpoints: values.CONTROL_PLANE_BACKENDS ?? [],
      ...(values.CONTROL_PLANE_BACKEND_API_KEY !== undefined
        ? { apiKey: values.CONTROL_PLANE_BACKEND_API_KEY }
        : {}),
      timeoutMs: values.CONTROL_PLANE_BACKEND_TIMEOUT_MS,
    },
    mlflow: {
      trackingUri: values.MLFLOW_TRACKING_URI,
      token: values.MLFLOW_TRACKING_TOKEN,
      timeoutMs: values.CONTROL_PLANE_MLFLOW_TIMEOUT_MS,
    },
    ...(values.CONTROL_PLANE_PROMETHEUS_URL !== undefined
      ? {
          prometheus: {
            url: values.CONTROL_PLANE_PROMETHEUS_URL,
            timeoutMs: values.CONTROL_PLANE_PROMETHEUS_TIMEOUT_MS,
          },
        }
      : {}),
    uploads: {
      maxBytes: values.CONTROL_PLANE_MAX_UPLOAD_BYTES,
      ttlSeconds: values.CONTROL_PLANE_UPLOAD_TTL_SECONDS,
      requestTimeoutMs: values.CONTROL_PLANE_UPLOAD_REQUEST_TIMEOUT_MS,
    },
  };
}

const BACKEND_ENTRY = /^([a-z0-9][a-z0-9-]{0,62})=([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/;

/** `name=host:port,name=host:port`: names are unique, ports 1-65535. */
function parseBackends(value: string, context: z.RefinementCtx): BackendEndpoint[] {
  const endpoints: BackendEndpoint[] = [];
  for (const entry of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = BACKEND_ENTRY.exec(entry);
    const port = match ? Number(match[3]) : 0;
    if (!match || port < 1 || port > 65535) {
      context.addIssue({
        code: 'custom',
        message: `entry ${JSON.stringify(entry)} is not name=host:port`,
      });
      return z.NEVER;
    }
    if (endpoints.some((endpoint) => endpoint.name === match[1])) {
      context.addIssue({ code: 'custom', message: `backend name ${match[1]} is given twice` });
      return z.NEVER;
    }
    endpoints.push({ name: match[1], address: `${match[2]}:${port}` });
  }
  return endpoints;
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function isPostgresUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'postgres:' || protocol === 'postgresql:';
  } catch {
    return false;
  }
}
