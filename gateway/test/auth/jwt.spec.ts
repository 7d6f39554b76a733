/** JWT bearer tokens end to end: a gateway verifying against a real JWKS server, over HTTP and gRPC. */
import { create } from '@bufbuild/protobuf';
import { Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  ModelMetadataRequestSchema,
} from '@contracts/generated/inference/grpc_service_pb';
import { grpcClient, sampleImage, startTestGateway, type TestGateway } from '../test-gateway';
import {
  AUDIENCE,
  ISSUER,
  JwksServer,
  signToken,
  strangerKey,
} from '../../../libs/auth/test/jwks-server';

describe('JWT bearer tokens through the gateway', () => {
  let jwks: JwksServer;
  let gateway: TestGateway;
  let client: Client & Record<string, unknown>;

  beforeAll(async () => {
    jwks = await JwksServer.start();
    gateway = await startTestGateway({
      GATEWAY_JWT_JWKS_URL: jwks.url,
      GATEWAY_JWT_ISSUER: ISSUER,
      GATEWAY_JWT_AUDIENCE: `other-api, ${AUDIENCE}`,
    });
    client = grpcClient(GRPCInferenceService, gateway.grpcAddress, { apiKey: null });
  });
  afterAll(async () => {
    client?.close();
    await gateway?.close();
    await jwks?.close();
  });

  const detect = (token: string) =>
    fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' },
      body: sampleImage('messi5.jpg'),
    });

  const metadataCall = (token: string) => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const method = client.modelMetadata as (
      request: unknown,
      metadata: Metadata,
      callback: (error: ServiceError | null, response?: { name: string }) => void,
    ) => void;
    return new Promise<{ code: number; details?: string; name?: string }>((resolve) =>
      method.call(
        client,
        create(ModelMetadataRequestSchema, { name: 'nanodet' }),
        metadata,
        (error, response) =>
          resolve(
            error
              ? { code: error.code, details: error.details }
              : { code: status.OK, name: response?.name },
          ),
      ),
    );
  };

  it('accepts a valid token with the model scope over HTTP and gRPC', async () => {
    const token = await signToken(jwks.key, {
      sub: 'cam-1',
      tenant: 'team-j',
      scope: 'infer:nanodet',
    });
    expect((await detect(token)).status).toBe(200);
    expect(await metadataCall(token)).toEqual({ code: status.OK, name: 'nanodet' });
  });

  it('refuses a token without the scope with 403 / PERMISSION_DENIED', async () => {
    const token = await signToken(jwks.key, {
      sub: 'cam-1',
      tenant: 'team-j',
      scope: 'infer:yolo',
    });
    const answer = await detect(token);
    expect(answer.status).toBe(403);
    expect(JSON.stringify(await answer.json())).toContain("needs scope 'infer:nanodet'");
    expect((await metadataCall(token)).code).toBe(status.PERMISSION_DENIED);
  });

  it.each([
    [
      'expired',
      () =>
        signToken(
          jwks.key,
          { tenant: 't', scope: 'admin' },
          { expiresAt: Math.floor(Date.now() / 1000) - 600 },
        ),
      'the token has expired',
    ],
    [
      'from another issuer',
      () => signToken(jwks.key, { tenant: 't', scope: 'admin' }, { issuer: 'https://evil.test' }),
      "the token's 'iss' claim is not accepted",
    ],
    [
      'for another audience',
      () => signToken(jwks.key, { tenant: 't', scope: 'admin' }, { audience: 'x' }),
      "the token's 'aud' claim is not accepted",
    ],
    [
      'signed with another key',
      async () => signToken(await strangerKey(), { tenant: 't', scope: 'admin' }),
      'the token signature does not verify',
    ],
  ])('refuses a token %s with 401 / UNAUTHENTICATED saying why', async (_what, make, reason) => {
    const token = await make();
    const answer = await detect(token);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="gateway"');
    expect(await answer.json()).toEqual({ error: { code: 'unauthenticated', message: reason } });
    expect(await metadataCall(token)).toEqual({ code: status.UNAUTHENTICATED, details: reason });
  });
});
