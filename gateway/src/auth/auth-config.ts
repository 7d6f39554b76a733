import { resolve } from 'node:path';
import { z } from 'zod';
import {
  isPublicKeyPem,
  jwtConfigFrom,
  jwtSettingProblems,
  parseApiKey,
  type ApiKeyCheckSettings,
  type JwtConfig,
  type JwtSettingValues,
} from '@auth';

// The shapes are shared with the control plane (libs/auth); the GATEWAY_* settings are the gateway's.
export type { ApiKeyCheckSettings, JwtConfig };

/** Unset and empty are the same (an empty line in an env file or a compose file). */
const optionalText = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z.string().optional(),
);
const flag = z
  .enum(['true', 'false', '1', '0'], { message: "must be 'true' or 'false'" })
  .default('false')
  .transform((value) => value === 'true' || value === '1');

/** Settings whose values an error message must not repeat. */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set([
  'GATEWAY_BOOTSTRAP_API_KEY',
  'GATEWAY_JWT_HS256_SECRET',
  'GATEWAY_DATABASE_URL',
  'TRITON_API_KEY',
]);

/** The authentication settings, merged into the gateway's environment schema. */
export const authEnvShape = {
  /** Local state: the API key file store (api-keys.json) unless GATEWAY_DATABASE_URL is set. */
  GATEWAY_DATA_DIR: z.string().min(1).default('.data/gateway'),
  /** Postgres (the control plane's database) for API keys shared by all replicas. */
  GATEWAY_DATABASE_URL: optionalText.refine(
    (value) => value === undefined || /^postgres(ql)?:\/\/.+/.test(value),
    'must be a postgres:// or postgresql:// URL',
  ),
  GATEWAY_BOOTSTRAP_API_KEY: optionalText.refine(
    (value) => value === undefined || parseApiKey(value) !== undefined,
    'must be an API key of the form tcg_<12 base62 characters>_<43+ base64url characters> (e.g. from scripts/quickstart.sh)',
  ),
  /** How long a verified API key is trusted without running scrypt again; 0 disables the cache. */
  GATEWAY_API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** scrypt runs at once (each holds a libuv threadpool thread for ~44 ms); below UV_THREADPOOL_SIZE. */
  GATEWAY_API_KEY_CHECK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Secret checks that may wait for a slot; beyond that, 503 with Retry-After. */
  GATEWAY_API_KEY_CHECK_QUEUE: z.coerce.number().int().min(0).max(10_000).default(32),
  /** Wrong secrets for one key id within the window before others are refused (429) unchecked. */
  GATEWAY_API_KEY_FAILURES_PER_KEY: z.coerce.number().int().min(1).max(1_000_000).default(10),
  /** Wrong secrets from one address (IPv4, or IPv6 /64) within the window, likewise. */
  GATEWAY_API_KEY_FAILURES_PER_PEER: z.coerce.number().int().min(1).max(1_000_000).default(30),
  GATEWAY_API_KEY_FAILURE_WINDOW_S: z.coerce.number().int().min(1).max(3600).default(60),
  /** How long a wrong key or an unknown key id is answered 401 from memory, without a check. */
  GATEWAY_API_KEY_NEGATIVE_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  /**
   * libuv's threadpool size: Node reads it itself at start-up. Read here only to keep API key
   * checks below it, so sharp, zlib and fs always keep threads of their own.
   */
  UV_THREADPOOL_SIZE: z.coerce.number().int().min(1).max(1024).default(4),
  /** /metrics without a credential, for a scraper on a private network. */
  GATEWAY_METRICS_PUBLIC: flag,
  GATEWAY_JWT_JWKS_URL: optionalText.refine(
    (value) => value === undefined || /^https?:\/\/.+/.test(value),
    'must be an http:// or https:// URL',
  ),
  /** PEM public key (SPKI or PKCS#1); literal "\n" sequences count as line breaks. */
  GATEWAY_JWT_PUBLIC_KEY: optionalText.refine(
    (value) => value === undefined || isPublicKeyPem(value),
    'must be a PEM public key (-----BEGIN PUBLIC KEY----- ...)',
  ),
  GATEWAY_JWT_HS256_SECRET: optionalText.refine(
    (value) => value === undefined || Buffer.byteLength(value) >= 32,
    'must be at least 32 bytes long',
  ),
  GATEWAY_JWT_ISSUER: optionalText,
  /** One audience or several, comma-separated: a token must name one of them. */
  GATEWAY_JWT_AUDIENCE: optionalText,
  GATEWAY_JWT_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(30),
  /** Claim holding the scopes; unset reads `scope` (space-separated) and then `scp` (array). */
  GATEWAY_JWT_SCOPE_CLAIM: optionalText,
  GATEWAY_JWT_TENANT_CLAIM: z.string().min(1).default('tenant'),
};

type AuthEnv = z.output<ReturnType<typeof z.object<typeof authEnvShape>>>;

/** Each shared JWT setting by its gateway name. */
const JWT_SETTINGS = {
  jwksUrl: 'GATEWAY_JWT_JWKS_URL',
  publicKey: 'GATEWAY_JWT_PUBLIC_KEY',
  hs256Secret: 'GATEWAY_JWT_HS256_SECRET',
  issuer: 'GATEWAY_JWT_ISSUER',
  audience: 'GATEWAY_JWT_AUDIENCE',
} as const satisfies Record<keyof JwtSettingValues, keyof AuthEnv>;

function jwtValues(env: AuthEnv): JwtSettingValues {
  return {
    jwksUrl: env.GATEWAY_JWT_JWKS_URL,
    publicKey: env.GATEWAY_JWT_PUBLIC_KEY,
    hs256Secret: env.GATEWAY_JWT_HS256_SECRET,
    issuer: env.GATEWAY_JWT_ISSUER,
    audience: env.GATEWAY_JWT_AUDIENCE,
  };
}

/**
 * Rules across settings: API key checks leave threadpool threads free; JWT verification needs a key
 * source, an issuer and an audience.
 */
export function checkAuthEnv(env: AuthEnv, context: z.RefinementCtx): void {
  if (env.GATEWAY_API_KEY_CHECK_CONCURRENCY >= env.UV_THREADPOOL_SIZE) {
    context.addIssue({
      code: 'custom',
      path: ['GATEWAY_API_KEY_CHECK_CONCURRENCY'],
      message: `must be below UV_THREADPOOL_SIZE (${env.UV_THREADPOOL_SIZE}), so sharp, zlib and fs keep threads while keys are checked`,
    });
  }
  for (const problem of jwtSettingProblems(jwtValues(env), (field) => JWT_SETTINGS[field])) {
    context.addIssue({
      code: 'custom',
      path: [JWT_SETTINGS[problem.field]],
      message: problem.message,
    });
  }
}

export interface AuthConfig {
  dataDir: string;
  databaseUrl?: string;
  bootstrapApiKey?: string;
  apiKeyCacheTtlMs: number;
  apiKeyChecks: ApiKeyCheckSettings;
  metricsPublic: boolean;
  /** undefined: JWT bearer tokens are refused. */
  jwt?: JwtConfig;
}

export function authConfigFrom(env: AuthEnv): AuthConfig {
  return {
    dataDir: resolve(env.GATEWAY_DATA_DIR),
    databaseUrl: env.GATEWAY_DATABASE_URL,
    bootstrapApiKey: env.GATEWAY_BOOTSTRAP_API_KEY,
    apiKeyCacheTtlMs: env.GATEWAY_API_KEY_CACHE_TTL_MS,
    apiKeyChecks: {
      concurrency: env.GATEWAY_API_KEY_CHECK_CONCURRENCY,
      maxWaiting: env.GATEWAY_API_KEY_CHECK_QUEUE,
      failuresPerKey: env.GATEWAY_API_KEY_FAILURES_PER_KEY,
      failuresPerPeer: env.GATEWAY_API_KEY_FAILURES_PER_PEER,
      failureWindowS: env.GATEWAY_API_KEY_FAILURE_WINDOW_S,
      negativeCacheMs: env.GATEWAY_API_KEY_NEGATIVE_CACHE_MS,
    },
    metricsPublic: env.GATEWAY_METRICS_PUBLIC,
    jwt: jwtConfigFrom({
      ...jwtValues(env),
      clockToleranceS: env.GATEWAY_JWT_CLOCK_TOLERANCE_S,
      scopeClaim: env.GATEWAY_JWT_SCOPE_CLAIM,
      tenantClaim: env.GATEWAY_JWT_TENANT_CLAIM,
    }),
  };
}

export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
