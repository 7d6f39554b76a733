import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { Logger } from '@nestjs/common';
import {
  createRemoteJWKSet,
  customFetch,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { CredentialRefusal, unauthenticated } from '../credential-refusal';
import type { JwtConfig } from '../settings';
import type { Caller } from '../caller';
import {
  UNOBSERVED_CHECKS,
  type AuthFailureReason,
  type CredentialCheckObserver,
} from '../credential-check-observer';
import { JwksBackingOff, JwksFetchBackoff } from './jwks-fetch-backoff';

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
 * Longest token looked at. HTTP headers stop at 16 KiB (Node's default) but gRPC metadata may
 * carry 64 KiB; identity providers' tokens stay far below either.
 */
export const MAX_JWT_LENGTH = 16_384;
/** After a failed JWKS fetch, tokens are answered 503 this long without fetching again. */
export const JWKS_FAILURE_PAUSE_MS = 5000;

/**
 * JWT bearer tokens (jose): signature from a JWKS URL, a PEM public key or an HS256 secret; issuer,
 * audience and expiry checked with the configured clock tolerance; scopes and tenant from claims.
 *
 * What a token may cost: its length is bounded (MAX_JWT_LENGTH) before it is parsed; an algorithm
 * outside the accepted list is refused before any key is looked up; the signature check costs what
 * the operator's key type costs (measured 0.2 ms for RS256 to 3 ms for ES512 of CPU), once per token
 * and never repeated; the JWKS is fetched again for an unknown `kid` at most once per 30 s cooldown
 * (jose), and not at all for JWKS_FAILURE_PAUSE_MS after a failed fetch (jwks-fetch-backoff.ts).
 */
export class JwtVerifier {
  private readonly logger = new Logger('Jwt');
  private readonly getKey: JWTVerifyGetKey;
  private readonly algorithms: string[];
  private readonly jwksFetch = new JwksFetchBackoff(JWKS_FAILURE_PAUSE_MS);

  constructor(
    private readonly config: JwtConfig,
    private readonly observer: CredentialCheckObserver = UNOBSERVED_CHECKS,
  ) {
    const asymmetric = asymmetricKey(config, this.jwksFetch);
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
    if (token.length > MAX_JWT_LENGTH) {
      throw this.refuse(
        'too_long',
        unauthenticated(
          `the token is ${token.length} characters long; at most ${MAX_JWT_LENGTH} are accepted`,
        ),
      );
    }
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
      throw this.refuse(
        'claims',
        unauthenticated(`the token has no '${this.config.tenantClaim}' claim naming a tenant`),
      );
    }
    return {
      tenant,
      subject: `jwt:${typeof payload.sub === 'string' ? payload.sub : 'unknown'}`,
      scopes: scopesOf(payload, this.config.scopeClaim),
    };
  }

  /** jose's failures as 401 saying which check failed; an unreachable JWKS is our problem: 503. */
  private refusal(error: unknown): CredentialRefusal {
    if (error instanceof JwksBackingOff) {
      return this.refuse('jwks_unavailable', jwksUnavailable(error.retryAfterMs));
    }
    if (error instanceof errors.JWKSTimeout || isNetworkFailure(error)) {
      this.logger.warn(`JWKS ${this.config.jwksUrl} unreachable: ${(error as Error).message}`);
      return this.refuse('jwks_unavailable', jwksUnavailable(this.jwksFetch.retryAfterMs));
    }
    let reason: string;
    let label: AuthFailureReason;
    if (error instanceof errors.JWTExpired) {
      [reason, label] = ['the token has expired', 'expired'];
    } else if (error instanceof errors.JWTClaimValidationFailed) {
      [reason, label] = [claimProblem(error), 'claims'];
    } else if (error instanceof errors.JWKSNoMatchingKey) {
      [reason, label] = ["no key of the JWKS matches the token's key id", 'no_matching_key'];
    } else if (error instanceof errors.JWSSignatureVerificationFailed) {
      [reason, label] = ['the token signature does not verify', 'signature'];
    } else if (error instanceof errors.JOSEAlgNotAllowed) {
      [reason, label] = ["the token's algorithm is not accepted", 'algorithm'];
    } else if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) {
      [reason, label] = ['the token is malformed', 'malformed'];
    } else {
      [reason, label] = ['the token is not valid', 'invalid'];
    }
    this.logger.debug(`JWT refused: ${reason}`);
    return this.refuse(label, unauthenticated(reason));
  }

  private refuse(reason: AuthFailureReason, error: CredentialRefusal): CredentialRefusal {
    this.observer.refused('jwt', reason);
    return error;
  }
}

function jwksUnavailable(retryAfterMs: number): CredentialRefusal {
  return new CredentialRefusal(
    'unavailable',
    'the token cannot be checked now: the JWKS is unreachable',
    retryAfterMs,
  );
}

function claimProblem(error: InstanceType<typeof errors.JWTClaimValidationFailed>): string {
  if (error.reason === 'missing') return `the token has no '${error.claim}' claim`;
  if (error.claim === 'nbf' && error.reason === 'check_failed') return 'the token is not valid yet';
  if (error.reason === 'invalid') return `the token's '${error.claim}' claim is malformed`;
  return `the token's '${error.claim}' claim is not accepted`;
}

function asymmetricKey(
  config: JwtConfig,
  backoff: JwksFetchBackoff,
): KeyObject | ReturnType<typeof createRemoteJWKSet> | undefined {
  if (config.jwksUrl) {
    return createRemoteJWKSet(new URL(config.jwksUrl), {
      timeoutDuration: 5000,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
      [customFetch]: backoff.fetch,
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
