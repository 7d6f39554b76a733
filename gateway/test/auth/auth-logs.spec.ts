/**
 * No secrets in logs: with every log level on, successful and failed authentications (API keys and
 * JWTs), key creation, rotation and revocation leave log lines that name key ids, and never a key,
 * a token or a secret.
 */
import { SignJWT } from 'jose';
import { GatewayLogger } from '../../src/logging/gateway-logger';
import { createApiKey, startTestGateway, TEST_API_KEY, type TestGateway } from '../test-gateway';

const HS256_SECRET = 'log-test-hs256-secret-of-32-bytes-or-more';
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'triton-cv-gateway';

function token(expiresInS: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenant: 'logs', scope: 'metrics:read', sub: 'log-subject' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime(now + expiresInS)
    .sign(Buffer.from(HS256_SECRET));
}

describe('authentication logs carry no secrets', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({
      LOG_LEVEL: 'verbose',
      GATEWAY_JWT_HS256_SECRET: HS256_SECRET,
      GATEWAY_JWT_ISSUER: ISSUER,
      GATEWAY_JWT_AUDIENCE: AUDIENCE,
    });
  });
  afterAll(() => gateway?.close());

  it('logs key ids for failed and successful authentications, never keys or tokens', async () => {
    const output: string[] = [];
    const capture = (chunk: unknown): boolean => {
      output.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      return true;
    };
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    const log = jest.spyOn(console, 'log').mockImplementation(capture);
    const error = jest.spyOn(console, 'error').mockImplementation(capture);
    // What the code hands the logger, before the logger's own redaction: the auth code itself must
    // not need that safety net.
    const raw: string[] = [];
    const levels = ['log', 'error', 'warn', 'debug', 'verbose', 'fatal'] as const;
    const spies = levels.map((level) =>
      jest.spyOn(GatewayLogger.prototype, level).mockImplementation(function (
        this: GatewayLogger,
        ...args: unknown[]
      ) {
        raw.push(
          args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '),
        );
      }),
    );
    const secrets: string[] = [TEST_API_KEY, HS256_SECRET];
    const metrics = (headers: Record<string, string>) =>
      fetch(`${gateway.httpUrl}/metrics`, { headers }).then((response) => response.status);
    let created: { id: string; key: string };
    try {
      created = await createApiKey(gateway.httpUrl, { tenant: 'logs', scopes: ['metrics:read'] });
      secrets.push(created.key);
      const wrongSecret = `${created.key.slice(0, -6)}AAAAAA`;
      secrets.push(wrongSecret);
      const valid = await token(300);
      const expired = await token(-600);
      secrets.push(valid, expired);

      expect(await metrics({ 'x-api-key': created.key })).toBe(200);
      expect(await metrics({ 'x-api-key': wrongSecret })).toBe(401);
      expect(await metrics({ authorization: `Bearer ${valid}` })).toBe(200);
      expect(await metrics({ authorization: `Bearer ${expired}` })).toBe(401);

      const rotated = await fetch(`${gateway.httpUrl}/admin/api-keys/${created.id}/rotate`, {
        method: 'POST',
        headers: { 'x-api-key': TEST_API_KEY },
      });
      const fresh = (await rotated.json()) as { id: string; key: string };
      secrets.push(fresh.key);
      expect(await metrics({ 'x-api-key': created.key })).toBe(401);
      expect(await metrics({ 'x-api-key': fresh.key })).toBe(200);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      log.mockRestore();
      error.mockRestore();
      for (const spy of spies) spy.mockRestore();
    }
    const text = [...output, ...raw].join('\n');
    // The auth code did log (so this checks something): by key id.
    expect(text).toContain(`API key ${created.id} created`);
    expect(text).toContain(`API key ${created.id} unknown or secret wrong`);
    expect(text).toContain(`API key ${created.id} rotated to`);
    expect(text).toContain('JWT refused: the token has expired');
    for (const secret of secrets) {
      const secretPart = secret.startsWith('tcg_') ? secret.slice(17) : secret;
      expect(text).not.toContain(secretPart);
      // Nor a telling piece of it (a JWT's signature, the end of a key).
      expect(text).not.toContain(secretPart.slice(-24));
    }
  });
});
