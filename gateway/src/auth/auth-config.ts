import { createPublicKey } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseApiKey } from './api-keys/api-key-format';

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
    (value) => value === undefined || isPublicKey(value),
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

const JWT_KEYS = [
  'GATEWAY_JWT_JWKS_URL',
  'GATEWAY_JWT_PUBLIC_KEY',
  'GATEWAY_JWT_HS256_SECRET',
] as const;

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
  const keys = JWT_KEYS.filter((name) => env[name] !== undefined);
  if (env.GATEWAY_JWT_JWKS_URL !== undefined && env.GATEWAY_JWT_PUBLIC_KEY !== undefined) {
    context.addIssue({
      code: 'custom',
      path: ['GATEWAY_JWT_PUBLIC_KEY'],
      message: 'cannot be combined with GATEWAY_JWT_JWKS_URL: set one asymmetric key source',
    });
  }
  for (const name of ['GATEWAY_JWT_ISSUER', 'GATEWAY_JWT_AUDIENCE'] as const) {
    if (keys.length > 0 && env[name] === undefined) {
      context.addIssue({
        code: 'custom',
        path: [name],
        message: `is required when JWT verification is configured (${keys.join(', ')} set)`,
      });
    }
    if (keys.length === 0 && env[name] !== undefined) {
      context.addIssue({
        code: 'custom',
        path: [name],
        message: `has no effect without a key: set ${JWT_KEYS.join(', ')} or unset it`,
      });
    }
  }
}

export interface JwtConfig {
  issuer: string;
  audience: string[];
  clockToleranceS: number;
  jwksUrl?: string;
  publicKeyPem?: string;
  hs256Secret?: string;
  /** undefined: `scope`, then `scp`. */
  scopeClaim?: string;
  tenantClaim: string;
}

/** What checking presented API keys may cost (api-keys/api-key-verification.ts). */
export interface ApiKeyCheckSettings {
  /** scrypt runs at once, and checks that may wait for one. */
  concurrency: number;
  maxWaiting: number;
  /** Wrong secrets per key id and per peer within `failureWindowS` before refusals start. */
  failuresPerKey: number;
  failuresPerPeer: number;
  failureWindowS: number;
  /** A wrong key or an unknown id is refused from memory this long. */
  negativeCacheMs: number;
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
  const jwtConfigured = JWT_KEYS.some((name) => env[name] !== undefined);
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
    jwt: jwtConfigured
      ? {
          issuer: env.GATEWAY_JWT_ISSUER ?? '',
          audience: (env.GATEWAY_JWT_AUDIENCE ?? '')
            .split(',')
            .map((entry) => entry.trim())
            .filter(Boolean),
          clockToleranceS: env.GATEWAY_JWT_CLOCK_TOLERANCE_S,
          jwksUrl: env.GATEWAY_JWT_JWKS_URL,
          publicKeyPem: env.GATEWAY_JWT_PUBLIC_KEY && pem(env.GATEWAY_JWT_PUBLIC_KEY),
          hs256Secret: env.GATEWAY_JWT_HS256_SECRET,
          scopeClaim: env.GATEWAY_JWT_SCOPE_CLAIM,
          tenantClaim: env.GATEWAY_JWT_TENANT_CLAIM,
        }
      : undefined,
  };
}

function pem(value: string): string {
  return value.replace(/\\n/g, '\n');
}

function isPublicKey(value: string): boolean {
  try {
    return createPublicKey(pem(value)).type === 'public';
  } catch {
    return false;
  }
}

export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
