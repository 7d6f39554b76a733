import fc from 'fast-check';
import { SignJWT, type JWTPayload } from 'jose';
import sharp from 'sharp';
import {
  Client,
  credentials,
  InterceptingCall,
  status,
  type Interceptor,
  type ServiceError,
} from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import { DetectRequestSchema } from '@contracts/generated/vision/v1/vision_pb';
import { sampleImage } from '../test-gateway';
import { startMeteredGateway, type MeteredGateway } from '../hostile/cost-meter';
import { assertCheaply } from './cheap-property';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters, printable } from './fuzz-settings';
import { garbageAuthorization, garbageKey, priority } from './header-arbitraries';
import { detectJpeg, expectSuccessOrClientError, send } from './http-outcome';

/** The gateway verifies JWTs with this secret, so the fuzzer can sign tokens whose claims are garbage. */
const JWT_SECRET = 'malformed-input-fuzzing-hs256-secret-0123456789';
const JWT_ISSUER = 'https://issuer.test';
const JWT_AUDIENCE = 'gateway';

jest.setTimeout(FUZZ_TEST_TIMEOUT_MS);

describe('malformed input: credentials (property-based)', () => {
  let gateway: MeteredGateway;
  let image: Buffer;
  let anonymous: Client;
  /**
   * Metadata and deadline of the next gRPC call. An interceptor applies them: passing Metadata or
   * call options as arguments trips grpc-js's `instanceof` checks in Jest's realm.
   */
  let current: { entries: Record<string, string>; deadlineMs: number } = {
    entries: {},
    deadlineMs: 5000,
  };
  const withCurrentCall: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall({ ...options, deadline: Date.now() + current.deadlineMs }), {
      start(metadata, listener, next) {
        for (const [key, value] of Object.entries(current.entries)) metadata.set(key, value);
        next(metadata, listener);
      },
    });

  beforeAll(async () => {
    gateway = await startMeteredGateway({
      GATEWAY_JWT_HS256_SECRET: JWT_SECRET,
      GATEWAY_JWT_ISSUER: JWT_ISSUER,
      GATEWAY_JWT_AUDIENCE: JWT_AUDIENCE,
    });
    // A small real picture keeps every accepted request cheap.
    image = await sharp(sampleImage('messi5.jpg')).resize(64).jpeg().toBuffer();
    anonymous = new Client(gateway.grpcAddress, credentials.createInsecure(), {
      interceptors: [withCurrentCall],
    });
  });
  afterAll(async () => {
    anonymous.close();
    await gateway.kill();
  });

  afterEach(async () => {
    expect((await detectJpeg(gateway.httpUrl, image)).status).toBe(200);
  });

  it('answers garbage x-api-key and Authorization values with 401 (or 429), never a 5xx', async () => {
    const credential = fc.oneof(
      garbageKey.map((value) =>
        printable({ 'x-api-key': value }, `x-api-key: ${JSON.stringify(value)}`),
      ),
      garbageAuthorization.map((value) =>
        printable({ authorization: value }, `authorization: ${JSON.stringify(value)}`),
      ),
    );
    await assertCheaply(
      gateway,
      fc.asyncProperty(
        credential,
        fc.constantFrom('/v1/models/nanodet/detect', '/v2/models/nanodet/infer', '/v2', '/metrics'),
        async (headers, path) => {
          const outcome = await send(gateway.httpUrl, path, {
            method: path.endsWith('detect') || path.endsWith('infer') ? 'POST' : 'GET',
            headers: { ...headers, 'content-type': 'image/jpeg' },
            body: path.endsWith('detect') || path.endsWith('infer') ? image : undefined,
          });
          // 429 once the test key's id has had too many wrong secrets (flipped characters).
          expectSuccessOrClientError(outcome, [401, 429]);
        },
      ),
      fuzzParameters(120),
    );
  });

  it('answers correctly signed JWTs with garbage claims with 200, 401 or 403, never a 5xx', async () => {
    const anyJson = fc.jsonValue({ maxDepth: 2 });
    const now = Math.floor(Date.now() / 1000);
    const claims = fc.record(
      {
        sub: fc.oneof(fc.string({ maxLength: 8 }), anyJson),
        tenant: fc.oneof(fc.constantFrom('acme', ''), anyJson),
        scope: fc.oneof(
          fc.constantFrom('infer:*', 'infer:nanodet metrics:read', 'admin', ''),
          anyJson,
        ),
        scp: fc.oneof(fc.constant(['infer:*']), anyJson),
        iss: fc.oneof(fc.constant(JWT_ISSUER), anyJson),
        aud: fc.oneof(fc.constant(JWT_AUDIENCE), fc.constant([JWT_AUDIENCE, 'other']), anyJson),
        // Finite only: JSON has no NaN or Infinity, and jose refuses to sign them.
        exp: fc.oneof(
          fc.integer({ min: now - 3600, max: now + 3600 }),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          anyJson,
        ),
        nbf: fc.oneof(fc.integer({ min: now - 3600, max: now + 3600 }), anyJson),
        iat: fc.oneof(fc.integer({ min: now - 3600, max: now + 3600 }), anyJson),
      },
      { requiredKeys: [] },
    );
    const secret = new TextEncoder().encode(JWT_SECRET);
    await assertCheaply(
      gateway,
      fc.asyncProperty(claims, fc.constantFrom('HS256', 'HS384'), async (payload, alg) => {
        const token = await new SignJWT(payload as JWTPayload)
          .setProtectedHeader({ alg })
          .sign(secret);
        const outcome = await send(gateway.httpUrl, '/v1/models/nanodet/detect', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' },
          body: image,
        });
        expectSuccessOrClientError(outcome, [200, 401, 403]);
      }),
      fuzzParameters(80),
    );
  });

  it('answers garbage credentials and x-priority in gRPC metadata with typed statuses', async () => {
    const request = Buffer.from(
      toBinary(DetectRequestSchema, create(DetectRequestSchema, { model: 'nanodet', image })),
    );
    const metadataEntries = fc.record(
      {
        'x-api-key': garbageKey.filter((value) => value.length < 1000),
        authorization: garbageAuthorization,
        'x-priority': priority,
      },
      { requiredKeys: [] },
    );
    await assertCheaply(
      gateway,
      fc.asyncProperty(
        metadataEntries,
        fc.integer({ min: 1, max: 5000 }),
        async (entries, deadlineMs) => {
          current = { entries, deadlineMs };
          const error = await new Promise<ServiceError | null>((resolve) => {
            anonymous.makeUnaryRequest(
              '/vision.v1.VisionService/Detect',
              (bytes: Buffer) => bytes,
              (bytes: Buffer) => bytes,
              request,
              (caught) => resolve(caught),
            );
          });
          const allowed = [
            status.UNAUTHENTICATED,
            status.INVALID_ARGUMENT,
            status.DEADLINE_EXCEEDED,
            status.RESOURCE_EXHAUSTED,
          ];
          if (!error || !allowed.includes(error.code) || (error.details ?? '').length < 8) {
            throw new Error(
              `Detect answered ${error ? `${status[error.code]}: ${error.details}` : 'OK'}`,
            );
          }
        },
      ),
      fuzzParameters(80),
    );
  });
});
