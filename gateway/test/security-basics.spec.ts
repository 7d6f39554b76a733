import { gzipSync } from 'node:zlib';
import { create } from '@bufbuild/protobuf';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import { GRPCInferenceService } from '@contracts/generated/inference/grpc_service_pb';
import { DetectRequestSchema, VisionService } from '@contracts/generated/vision/v1/vision_pb';
import { expectErrorBody, expectSecurityHeaders, send } from './malformed-input/http-outcome';
import { nanodetInferRequest } from './nanodet-reference';
import {
  authHeaders,
  callUnary,
  grpcClient,
  seededFloats,
  startTestGateway,
  TEST_API_KEY,
  type TestGateway,
} from './test-gateway';

const MAX_BODY_BYTES = 1024 * 1024;
/** A model name over the router's 100-character limit on a path parameter. */
const LONG_NAME = 'x'.repeat(500);
/** The secret half of the bootstrap key: it must never reach a log line. */
const KEY_SECRET = TEST_API_KEY.slice(TEST_API_KEY.lastIndexOf('_') + 1);

describe('security basics: headers, body limits, structured logs', () => {
  let gateway: TestGateway;
  let startupOutput = '';

  beforeAll(async () => {
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      startupOutput += String(chunk);
      return true;
    });
    try {
      gateway = await startTestGateway({
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'log',
        GATEWAY_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
        GATEWAY_HSTS_MAX_AGE_SECONDS: '600',
      });
    } finally {
      spy.mockRestore();
    }
  });
  afterAll(() => gateway.close());

  it('logs start-up as JSON lines, without the bootstrap key', () => {
    const lines = startupOutput.split('\n').filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({
        level: expect.stringMatching(/^(info|warn|error)$/),
        service: 'gateway',
        msg: expect.any(String),
      });
    }
    expect(startupOutput).toMatch(/"context":"NestApplication"/);
    expect(startupOutput).not.toContain(KEY_SECRET);
  });

  it.each([
    ['GET', '/healthz', 'anonymous', 200],
    ['GET', '/v2', 'with a key', 200],
    ['GET', '/v2/models/yolo', 'with a key', 404],
    ['GET', '/no/such/route', 'with a key', 404],
    ['POST', '/v2/models/nanodet/infer', 'with a key', 400],
    ['GET', '/v2/models/nanodet', 'anonymous', 401],
    // Refused by Fastify's router before any hook (regressions found by fuzzing).
    ['GET', '/v1/models/%C0%AF/detect', 'with a key', 400],
    ['GET', '/v2/models/<500 x>', 'with a key', 400],
    ['PUT', '/v2/models/%', 'with a key', 404],
  ])('%s %s (%s) answers %d with the security headers', async (method, shown, who, expected) => {
    const path = shown.replace('<500 x>', LONG_NAME);
    const outcome = await send(gateway.httpUrl, path, {
      method,
      headers: {
        ...(who === 'anonymous' ? {} : authHeaders()),
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      body: method === 'POST' ? '{' : undefined,
    });
    expect(outcome.status).toBe(expected);
    expectSecurityHeaders(outcome);
    expect(outcome.headers.get('strict-transport-security')).toBe('max-age=600');
    expect(outcome.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    if (expected >= 400) expectErrorBody(outcome);
  });

  it('answers a tensor body over GATEWAY_MAX_BODY_BYTES with 413 and the headers', async () => {
    const outcome = await send(gateway.httpUrl, '/v2/models/nanodet/infer', {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(MAX_BODY_BYTES + 1),
    });
    expect(outcome.status).toBe(413);
    expectSecurityHeaders(outcome);
    expect(expectErrorBody(outcome)).toMatch(/body/i);
  });

  it('holds JSON control routes to a small body limit, compressed or not', async () => {
    const big = Buffer.from(
      JSON.stringify({ tenant: 'a', scopes: ['admin'], name: 'x'.repeat(100_000) }),
    );
    for (const [body, encoding] of [
      [big, undefined],
      [gzipSync(big), 'gzip'],
    ] as const) {
      const outcome = await send(gateway.httpUrl, '/admin/api-keys', {
        method: 'POST',
        headers: {
          ...authHeaders(),
          'content-type': 'application/json',
          ...(encoding ? { 'content-encoding': encoding } : {}),
        },
        body,
      });
      expect({ encoding, status: outcome.status }).toEqual({ encoding, status: 413 });
      expectSecurityHeaders(outcome);
      expectErrorBody(outcome);
    }
  });

  describe('gRPC messages over GATEWAY_MAX_BODY_BYTES', () => {
    let kserve: Client & Record<string, unknown>;
    let vision: Client & Record<string, unknown>;
    beforeAll(() => {
      kserve = grpcClient(GRPCInferenceService, gateway.grpcAddress);
      vision = grpcClient(VisionService, gateway.grpcAddress);
    });
    afterAll(() => {
      kserve.close();
      vision.close();
    });

    it('refuses ModelInfer and Detect with RESOURCE_EXHAUSTED', async () => {
      const infer = await callUnary(
        kserve,
        'modelInfer',
        nanodetInferRequest(seededFloats(3 * 416 * 416), 1, { id: 'too-big' }),
      ).catch((error: ServiceError) => error);
      expect(infer).toMatchObject({
        code: status.RESOURCE_EXHAUSTED,
        details: expect.stringMatching(/larger than max/),
      });
      const detect = await callUnary(
        vision,
        'detect',
        create(DetectRequestSchema, { model: 'nanodet', image: Buffer.alloc(MAX_BODY_BYTES + 1) }),
      ).catch((error: ServiceError) => error);
      expect(detect).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    });
  });
});
