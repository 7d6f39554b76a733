import * as path from 'node:path';
import { z } from 'zod';

export interface ControlPlaneConfig {
  nodeEnv: 'development' | 'production' | 'test';
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

// Empty strings count as unset: compose files and shells often export `VAR=` to mean "default".
const envSchema = z
  .object({
    NODE_ENV: z
      .enum(['development', 'production', 'test'], 'must be one of development, production, test')
      .default('development'),
    CONTROL_PLANE_HOST: z.string().trim().min(1, 'must be a non-empty host').default('0.0.0.0'),
    CONTROL_PLANE_PORT: integerSetting(1, 65535).default(4000),
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
    CONTROL_PLANE_GRAPHQL_INTROSPECTION: booleanSetting.optional(),
    // graphql-js' parser recurses once per nesting level and overflows Node's stack past about
    // 2,000 levels: 4,000 tokens cannot nest more than about 1,300.
    CONTROL_PLANE_GRAPHQL_MAX_TOKENS: integerSetting(100, 4000).default(1000),
    CONTROL_PLANE_GRAPHQL_MAX_DEPTH: integerSetting(2, 1000).default(15),
    CONTROL_PLANE_GRAPHQL_MAX_ALIASES: integerSetting(0, 100_000).default(20),
    CONTROL_PLANE_GRAPHQL_MAX_FIELDS: integerSetting(1, 1_000_000).default(500),
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
  });

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
      return `${key} ${issue.message} (got ${JSON.stringify(relevant[key])})`;
    });
    throw new InvalidConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const values = parsed.data;
  return {
    nodeEnv: values.NODE_ENV,
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
    },
  };
}

function isPostgresUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'postgres:' || protocol === 'postgresql:';
  } catch {
    return false;
  }
}
