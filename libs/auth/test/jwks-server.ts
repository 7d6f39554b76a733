import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'triton-cv-gateway';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

/**
 * A real HTTP server serving a JWKS (ES256 keys made with jose), as an identity provider would, and
 * signing tokens with its keys. `failWith` makes it answer an error status instead.
 */
export class JwksServer {
  requests = 0;
  failWith?: number;
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly key: SigningKey,
  ) {}

  static async start(): Promise<JwksServer> {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const instance = new JwksServer(server, `http://127.0.0.1:${port}/jwks.json`, {
      kid: 'key-1',
      privateKey,
    });
    server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
      instance.requests += 1;
      if (instance.failWith) {
        response.writeHead(instance.failWith).end();
        return;
      }
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] }));
    });
    return instance;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A signed token with sensible defaults (this issuer and audience, 5 minutes) and overrides. */
export async function signToken(
  key: SigningKey,
  claims: JWTPayload,
  options: { issuer?: string; audience?: string; expiresAt?: number; alg?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: key.kid })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(options.expiresAt ?? now + 300)
    .sign(key.privateKey);
}

/** A key the JWKS does not hold, with the same kid: its tokens must not verify. */
export async function strangerKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('ES256');
  return { kid: 'key-1', privateKey };
}
