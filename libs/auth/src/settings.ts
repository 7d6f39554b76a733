import { createPublicKey } from 'node:crypto';

/** JWT verification settings (GATEWAY_JWT_* on the gateway, CONTROL_PLANE_JWT_* on the control plane). */
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

/** The gateway's defaults: one scrypt at a time, a short queue, generous failure limits. */
export const DEFAULT_API_KEY_CHECKS: ApiKeyCheckSettings = {
  concurrency: 1,
  maxWaiting: 32,
  failuresPerKey: 10,
  failuresPerPeer: 30,
  failureWindowS: 60,
  negativeCacheMs: 5000,
};

/** A PEM from an environment variable: literal "\n" sequences count as line breaks. */
export function pemText(value: string): string {
  return value.replace(/\\n/g, '\n');
}

/** Whether `value` (after pemText) is a PEM public key (SPKI or PKCS#1). */
export function isPublicKeyPem(value: string): boolean {
  try {
    return createPublicKey(pemText(value)).type === 'public';
  } catch {
    return false;
  }
}

/** The raw JWT settings of one app, before they are checked against each other. */
export interface JwtSettingValues {
  jwksUrl?: string;
  publicKey?: string;
  hs256Secret?: string;
  issuer?: string;
  audience?: string;
}

/** A problem with one JWT setting: which (by its field in JwtSettingValues) and what. */
export interface JwtSettingProblem {
  field: keyof JwtSettingValues;
  message: string;
}

/**
 * Rules across the JWT settings, the same in both apps: one asymmetric key source at most; issuer
 * and audience required with a key and meaningless without one. `name` turns a field into the
 * app's setting name, so messages name the variable to fix.
 */
export function jwtSettingProblems(
  values: JwtSettingValues,
  name: (field: keyof JwtSettingValues) => string,
): JwtSettingProblem[] {
  const problems: JwtSettingProblem[] = [];
  const keyFields = (['jwksUrl', 'publicKey', 'hs256Secret'] as const).filter(
    (field) => values[field] !== undefined,
  );
  if (values.jwksUrl !== undefined && values.publicKey !== undefined) {
    problems.push({
      field: 'publicKey',
      message: `cannot be combined with ${name('jwksUrl')}: set one asymmetric key source`,
    });
  }
  for (const field of ['issuer', 'audience'] as const) {
    if (keyFields.length > 0 && values[field] === undefined) {
      problems.push({
        field,
        message: `is required when JWT verification is configured (${keyFields.map(name).join(', ')} set)`,
      });
    }
    if (keyFields.length === 0 && values[field] !== undefined) {
      problems.push({
        field,
        message: `has no effect without a key: set ${(['jwksUrl', 'publicKey', 'hs256Secret'] as const).map(name).join(', ')} or unset it`,
      });
    }
  }
  return problems;
}

/** The JwtConfig the settings describe, or undefined when no key is set (tokens are refused). */
export function jwtConfigFrom(
  values: JwtSettingValues & {
    clockToleranceS: number;
    scopeClaim?: string;
    tenantClaim: string;
  },
): JwtConfig | undefined {
  if (
    values.jwksUrl === undefined &&
    values.publicKey === undefined &&
    values.hs256Secret === undefined
  ) {
    return undefined;
  }
  return {
    issuer: values.issuer ?? '',
    audience: (values.audience ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
    clockToleranceS: values.clockToleranceS,
    jwksUrl: values.jwksUrl,
    publicKeyPem: values.publicKey && pemText(values.publicKey),
    hs256Secret: values.hs256Secret,
    scopeClaim: values.scopeClaim,
    tenantClaim: values.tenantClaim,
  };
}
