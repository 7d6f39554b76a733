import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { CredentialRefusal } from '../src/credential-refusal';
import type { JwtConfig } from '../src/settings';
import { JwtVerifier } from '../src/jwt/jwt-verifier';
import { AUDIENCE, ISSUER, JwksServer, signToken, strangerKey } from './jwks-server';

const HS256_SECRET = 'a-test-secret-of-at-least-32-bytes!!';

async function refusal(promise: Promise<unknown>): Promise<CredentialRefusal> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof CredentialRefusal))
    throw new Error(`expected a CredentialRefusal, got ${String(error)}`);
  return error;
}

describe('JwtVerifier against a real JWKS server', () => {
  let jwks: JwksServer;
  let verifier: JwtVerifier;
  const config = (overrides: Partial<JwtConfig> = {}): JwtConfig => ({
    issuer: ISSUER,
    audience: [AUDIENCE],
    clockToleranceS: 30,
    jwksUrl: jwks.url,
    tenantClaim: 'tenant',
    ...overrides,
  });

  beforeAll(async () => {
    jwks = await JwksServer.start();
    verifier = new JwtVerifier(config());
  });
  afterAll(() => jwks?.close());

  it('accepts a valid token: tenant, subject and space-separated scopes from its claims', async () => {
    const token = await signToken(jwks.key, {
      sub: 'camera-7',
      tenant: 'team-a',
      scope: 'infer:nanodet metrics:read',
    });
    expect(await verifier.verify(token)).toEqual({
      tenant: 'team-a',
      subject: 'jwt:camera-7',
      scopes: ['infer:nanodet', 'metrics:read'],
    });
  });

  it('reads scp as an array, and a configured claim instead', async () => {
    const token = await signToken(jwks.key, {
      tenant: 't',
      scp: ['infer:*'],
      permissions: ['admin'],
    });
    expect((await verifier.verify(token)).scopes).toEqual(['infer:*']);
    const custom = new JwtVerifier(config({ scopeClaim: 'permissions' }));
    expect((await custom.verify(token)).scopes).toEqual(['admin']);
  });

  it('reads the tenant from a configured claim and refuses a token without one', async () => {
    const token = await signToken(jwks.key, { org: 'team-b', scope: 'admin' });
    expect((await new JwtVerifier(config({ tenantClaim: 'org' })).verify(token)).tenant).toBe(
      'team-b',
    );
    const error = await refusal(verifier.verify(token));
    expect(error.kind).toBe('unauthenticated');
    expect(error.message).toBe("the token has no 'tenant' claim naming a tenant");
  });

  it('refuses an expired token, but tolerates clock skew within the tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await signToken(jwks.key, { tenant: 't' }, { expiresAt: now - 120 });
    const error = await refusal(verifier.verify(expired));
    expect(error.kind).toBe('unauthenticated');
    expect(error.message).toBe('the token has expired');

    const justExpired = await signToken(jwks.key, { tenant: 't' }, { expiresAt: now - 10 });
    expect((await verifier.verify(justExpired)).tenant).toBe('t');

    // Issued by a clock 10 s ahead of ours: not before "now + 10".
    const ahead = await new SignJWT({ tenant: 't' })
      .setProtectedHeader({ alg: 'ES256', kid: jwks.key.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setNotBefore(now + 10)
      .setExpirationTime(now + 300)
      .sign(jwks.key.privateKey);
    expect((await verifier.verify(ahead)).tenant).toBe('t');
    const strict = new JwtVerifier(config({ clockToleranceS: 0 }));
    expect((await refusal(strict.verify(ahead))).message).toBe('the token is not valid yet');
  });

  it('refuses a wrong issuer or audience, naming the claim', async () => {
    const wrongIssuer = await signToken(jwks.key, { tenant: 't' }, { issuer: 'https://evil.test' });
    expect((await refusal(verifier.verify(wrongIssuer))).message).toMatch(
      /the token's 'iss' claim is not accepted/,
    );
    const wrongAudience = await signToken(jwks.key, { tenant: 't' }, { audience: 'another-api' });
    expect((await refusal(verifier.verify(wrongAudience))).message).toMatch(
      /the token's 'aud' claim is not accepted/,
    );
  });

  it('refuses a token signed by a key the JWKS does not hold', async () => {
    const forged = await signToken(await strangerKey(), { tenant: 't', scope: 'admin' });
    const error = await refusal(verifier.verify(forged));
    expect(error.kind).toBe('unauthenticated');
    expect(error.message).toBe('the token signature does not verify');
  });

  it('refuses a token without an expiry, and garbage', async () => {
    const noExpiry = await new SignJWT({ tenant: 't' })
      .setProtectedHeader({ alg: 'ES256', kid: jwks.key.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(jwks.key.privateKey);
    expect((await refusal(verifier.verify(noExpiry))).message).toBe("the token has no 'exp' claim");
    expect((await refusal(verifier.verify('a.b.c'))).kind).toBe('unauthenticated');
  });

  it('refuses HS256 tokens unless an HS256 secret is configured', async () => {
    const now = Math.floor(Date.now() / 1000);
    const hs = await new SignJWT({ tenant: 't' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(now + 60)
      .sign(Buffer.from(HS256_SECRET));
    expect((await refusal(verifier.verify(hs))).message).toBe(
      "the token's algorithm is not accepted",
    );
    const withSecret = new JwtVerifier(config({ hs256Secret: HS256_SECRET }));
    expect((await withSecret.verify(hs)).tenant).toBe('t');
    // Still verifies ES256 tokens from the JWKS.
    expect((await withSecret.verify(await signToken(jwks.key, { tenant: 'u' }))).tenant).toBe('u');
  });

  it('verifies with a configured PEM public key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = new JwtVerifier(
      config({ jwksUrl: undefined, publicKeyPem: await exportSPKI(publicKey) }),
    );
    const token = await signToken({ kid: 'pem', privateKey }, { tenant: 'p' }, { alg: 'RS256' });
    expect((await pem.verify(token)).tenant).toBe('p');
    const other = await signToken(jwks.key, { tenant: 'p' });
    expect((await refusal(pem.verify(other))).kind).toBe('unauthenticated');
  });

  it('fetches the JWKS once for many tokens', async () => {
    const fresh = await JwksServer.start();
    try {
      const cached = new JwtVerifier(config({ jwksUrl: fresh.url }));
      for (let i = 0; i < 5; i += 1) {
        await cached.verify(await signToken(fresh.key, { tenant: 't', sub: String(i) }));
      }
      expect(fresh.requests).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a token over 16 KiB before parsing it, saying how long it was', async () => {
    const error = await refusal(verifier.verify(`eyJ${'a'.repeat(20_000)}.eyJ.sig`));
    expect(error.kind).toBe('unauthenticated');
    expect(error.message).toBe('the token is 20011 characters long; at most 16384 are accepted');
  });

  it('fetches the JWKS again for an unknown kid at most once per cooldown', async () => {
    const fresh = await JwksServer.start();
    try {
      const cached = new JwtVerifier(config({ jwksUrl: fresh.url }));
      await cached.verify(await signToken(fresh.key, { tenant: 't' }));
      for (let i = 0; i < 10; i += 1) {
        const stranger = { ...(await strangerKey()), kid: `unknown-${i}` };
        const error = await refusal(cached.verify(await signToken(stranger, { tenant: 't' })));
        expect(error.message).toBe("no key of the JWKS matches the token's key id");
      }
      expect(fresh.requests).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it('after a failed JWKS fetch, answers 503 with Retry-After without fetching for each token', async () => {
    const broken = await JwksServer.start();
    broken.failWith = 500;
    try {
      const unreachable = new JwtVerifier(config({ jwksUrl: broken.url }));
      for (let i = 0; i < 10; i += 1) {
        const error = await refusal(
          unreachable.verify(await signToken(broken.key, { tenant: 't', sub: String(i) })),
        );
        expect(error.kind).toBe('unavailable');
        expect(error.retryAfterMs).toBeGreaterThan(0);
      }
      expect(broken.requests).toBe(1);
    } finally {
      await broken.close();
    }
  });

  it('answers 503 (not 401) while the JWKS cannot be fetched', async () => {
    const broken = await JwksServer.start();
    broken.failWith = 500;
    try {
      const unreachable = new JwtVerifier(config({ jwksUrl: broken.url }));
      const error = await refusal(unreachable.verify(await signToken(broken.key, { tenant: 't' })));
      expect(error.kind).toBe('unavailable');
      expect(error.message).toMatch(/JWKS is unreachable/);
    } finally {
      await broken.close();
    }
  });
});
