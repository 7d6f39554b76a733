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
}

/** The committed GraphQL contract, relative to the repository root. */
export const GRAPHQL_SCHEMA_FILE = 'control-plane/schema.graphql';

export type ControlPlaneEnv = Readonly<Record<string, string | undefined>>;

const portSchema = z
  .string()
  .trim()
  .regex(/^\d+$/, 'must be an integer 1-65535')
  .transform(Number)
  .refine((port) => port >= 1 && port <= 65535, 'must be an integer 1-65535');

const postgresUrlSchema = z
  .string()
  .trim()
  .refine(isPostgresUrl, 'must be a postgres:// or postgresql:// URL');

const nonEmptyPathSchema = z.string().trim().min(1, 'must be a non-empty path');

// Empty strings count as unset: compose files and shells often export `VAR=` to mean "default".
const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], 'must be one of development, production, test')
    .default('development'),
  CONTROL_PLANE_HOST: z.string().trim().min(1, 'must be a non-empty host').default('0.0.0.0'),
  CONTROL_PLANE_PORT: portSchema.default(4000),
  DATABASE_URL: postgresUrlSchema.optional(),
  CONTROL_PLANE_DATA_DIR: nonEmptyPathSchema.default('.data/control-plane'),
  MODEL_REPOSITORY: nonEmptyPathSchema.default('triton-models'),
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
