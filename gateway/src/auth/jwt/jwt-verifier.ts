import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { GatewayError } from '../../errors/gateway-error';
import type { JwtConfig } from '../auth-config';
import { unauthenticated } from '../auth-errors';
import type { Caller } from '../caller';

/** Algorithms accepted from asymmetric keys (JWKS or PEM); HS256 only with the configured secret. */
const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/**
 * JWT bearer tokens (jose): signature from a JWKS URL, a PEM public key or an HS256 secret; issuer,
 * audience and expiry checked with the configured clock tolerance; scopes and tenant from claims.
 */
export class JwtVerifier {
  private readonly logger = new Logger('Jwt');
  private readonly getKey: JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly config: JwtConfig) {
    const asymmetric = asymmetricKey(config);
    const secret = config.hs256Secret
      ? createSecretKey(Buffer.from(config.hs256Secret))
      : undefined;
    this.algorithms = [...(asymmetric ? ASYMMETRIC_ALGORITHMS : []), ...(secret ? ['HS256'] : [])];
    this.getKey = async (header, token) => {
      if (header.alg === 'HS256') {
        if (secret) return secret;
      } else if (asymmetric) {
        return typeof asymmetric === 'function' ? asymmetric(header, token) : asymmetric;
      }
      throw new errors.JOSEAlgNotAllowed(`algorithm ${header.alg} is not accepted`);
    };
  }

  async verify(token: string): Promise<Caller> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: this.config.clockToleranceS,
        algorithms: this.algorithms,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw this.refusal(error);
    }
    const tenant = payload[this.config.tenantClaim];
    if (typeof tenant !== 'string' || tenant === '') {
      throw unauthenticated(`the token has no '${this.config.tenantClaim}' claim naming a tenant`);
    }
    return {
      tenant,
      subject: `jwt:${typeof payload.sub === 'string' ? payload.sub : 'unknown'}`,
      scopes: scopesOf(payload, this.config.scopeClaim),
    };
  }

  /** jose's failures as 401 saying which check failed; an unreachable JWKS is our problem: 503. */
  private refusal(error: unknown): GatewayError {
    if (error instanceof errors.JWKSTimeout || isNetworkFailure(error)) {
      this.logger.warn(`JWKS ${this.config.jwksUrl} unreachable: ${(error as Error).message}`);
      return new GatewayError(
        'unavailable',
        'the token cannot be checked now: the JWKS is unreachable',
        {
          retryAfterMs: 1000,
        },
      );
    }
    let reason: string;
    if (error instanceof errors.JWTExpired) reason = 'the token has expired';
    else if (error instanceof errors.JWTClaimValidationFailed) reason = claimProblem(error);
    else if (error instanceof errors.JWKSNoMatchingKey)
      reason = "no key of the JWKS matches the token's key id";
    else if (error instanceof errors.JWSSignatureVerificationFailed)
      reason = 'the token signature does not verify';
    else if (error instanceof errors.JOSEAlgNotAllowed)
      reason = "the token's algorithm is not accepted";
    else if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid)
      reason = 'the token is malformed';
    else reason = 'the token is not valid';
    this.logger.debug(`JWT refused: ${reason}`);
    return unauthenticated(reason);
  }
}

function claimProblem(error: InstanceType<typeof errors.JWTClaimValidationFailed>): string {
  if (error.reason === 'missing') return `the token has no '${error.claim}' claim`;
  if (error.claim === 'nbf' && error.reason === 'check_failed') return 'the token is not valid yet';
  if (error.reason === 'invalid') return `the token's '${error.claim}' claim is malformed`;
  return `the token's '${error.claim}' claim is not accepted`;
}

function asymmetricKey(
  config: JwtConfig,
): KeyObject | ReturnType<typeof createRemoteJWKSet> | undefined {
  if (config.jwksUrl) {
    return createRemoteJWKSet(new URL(config.jwksUrl), {
      timeoutDuration: 5000,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
    });
  }
  return config.publicKeyPem ? createPublicKey(config.publicKeyPem) : undefined;
}

/** `scope` as a space-separated string (RFC 8693) or `scp` as an array, or the configured claim. */
export function scopesOf(payload: JWTPayload, claim: string | undefined): string[] {
  const value = claim ? payload[claim] : (payload.scope ?? payload.scp);
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value))
    return value.filter((entry): entry is string => typeof entry === 'string');
  return [];
}

/** The JWKS could not be fetched or read: connection refused, DNS, a non-200 answer, not JSON. */
function isNetworkFailure(error: unknown): boolean {
  if (error instanceof TypeError) return /fetch failed/.test(error.message);
  return (
    error instanceof errors.JOSEError &&
    error.code === 'ERR_JOSE_GENERIC' &&
    /JSON Web Key Set HTTP response/.test(error.message)
  );
}
