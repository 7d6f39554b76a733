/**
 * Following a call through the logs, against a real gateway (embedded backend): `x-request-id`
 * accepted or made and returned on every answer (errors included, gRPC headers or trailers), and
 * one access log line per call, HTTP and gRPC (KServe infer, detect, a camera stream), with the
 * route template, model, resolved version, status, stage times and bytes, and never a credential.
 */
import { create } from '@bufbuild/protobuf';
import { Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import {
  GRPCInferenceService,
  ModelInferRequestSchema,
} from '@contracts/generated/inference/grpc_service_pb';
import { until } from '@test-support';
import {
  authHeaders,
  grpcClient,
  sampleImage,
  startTestGateway,
  TEST_API_KEY,
  type TestGateway,
} from '../test-gateway';
import { openTrackStream, streamConfig } from '../streams/track-client';

/** What the gateway wrote to stdout meanwhile, and its access log lines. */
function captureStdout() {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return true;
  });
  const text = (): string => chunks.join('');
  const accessLines = (): Record<string, unknown>[] =>
    text()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.context === 'AccessLog');
  return { text, accessLines, restore: () => spy.mockRestore() };
}

const EMBEDDING_INPUT = new Float32Array(3 * 128 * 64).fill(0.5);

function inferBody(): string {
  return JSON.stringify({
    id: 'kserve-id-7',
    inputs: [
      {
        name: 'images',
        datatype: 'FP32',
        shape: [1, 3, 128, 64],
        data: Array.from(EMBEDDING_INPUT),
      },
    ],
  });
}

/** A unary gRPC call with metadata; resolves with its answer's headers, trailers and outcome. */
function grpcCall(
  client: Client & Record<string, unknown>,
  method: string,
  request: unknown,
  metadata: Metadata,
): Promise<{ headers?: Metadata; trailers?: Metadata; error?: ServiceError }> {
  return new Promise((resolve) => {
    let headers: Metadata | undefined;
    const fn = client[method] as (
      request: unknown,
      metadata: Metadata,
      callback: (error: ServiceError | null) => void,
    ) => { on(event: string, listener: (value: Metadata) => void): void };
    let trailers: Metadata | undefined;
    let error: ServiceError | undefined;
    let ended = 0;
    const done = (): void => {
      ended += 1;
      if (ended === 2) resolve({ headers, trailers, error });
    };
    const call = fn.call(client, request, metadata, (failure) => {
      error = failure ?? undefined;
      done();
    });
    call.on('metadata', (received) => (headers = received));
    call.on('status', (received: unknown) => {
      trailers = (received as { metadata: Metadata }).metadata;
      done();
    });
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('following a call: request ids and the access log', () => {
  let gateway: TestGateway;
  let capture: ReturnType<typeof captureStdout>;

  beforeAll(async () => {
    capture = captureStdout();
    gateway = await startTestGateway({ LOG_LEVEL: 'log', LOG_FORMAT: 'json' });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    capture?.restore();
  });

  /** The access line of the call with `requestId`, once written (HTTP lines follow the answer). */
  async function lineOf(requestId: string): Promise<Record<string, unknown>> {
    await until(
      () => capture.accessLines().some((line) => line.requestId === requestId),
      `an access log line for ${requestId}`,
      10_000,
    );
    return capture.accessLines().find((line) => line.requestId === requestId)!;
  }

  it('logs a KServe REST infer: request id kept, route template, model, resolved version, stages, bytes', async () => {
    const response = await fetch(`${gateway.httpUrl}/v2/models/appearance-mobilenetv2/infer`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json', 'x-request-id': 'req-1' },
      body: inferBody(),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('req-1');
    // KServe's own `id` keeps Triton's meaning: the caller's, echoed in the answer.
    expect(((await response.json()) as { id: string }).id).toBe('kserve-id-7');

    const line = await lineOf('req-1');
    expect(line).toMatchObject({
      level: 'info',
      service: 'gateway',
      msg: 'call',
      requestId: 'req-1',
      kserveId: 'kserve-id-7',
      tenant: 'admin',
      protocol: 'http',
      method: 'POST',
      route: '/v2/models/:model/infer',
      model: 'appearance-mobilenetv2',
      version: '1',
      status: 200,
      bytesIn: Buffer.byteLength(inferBody()),
    });
    expect(line.bytesOut).toEqual(Number(response.headers.get('content-length')));
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(Object.keys(line.stagesMs as object)).toEqual(
      expect.arrayContaining(['authorize', 'rate-limit', 'route', 'precheck', 'admit', 'backend']),
    );
    expect(line).not.toHaveProperty('traceId');
  });

  it('logs a detect with its vision stages; a bearer credential and a query never reach the log', async () => {
    const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect?scoreThreshold=0.4`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TEST_API_KEY}`,
        'content-type': 'image/jpeg',
        'x-request-id': 'detect-1',
      },
      body: sampleImage('messi5.jpg'),
    });
    expect(response.status).toBe(200);
    const line = await lineOf('detect-1');
    expect(line).toMatchObject({
      route: '/v1/models/:model/detect',
      model: 'nanodet',
      version: '1',
      status: 200,
      tenant: 'admin',
    });
    expect(Object.keys(line.stagesMs as object)).toEqual(
      expect.arrayContaining([
        'authorize',
        'admit',
        'decode',
        'preprocess',
        'infer',
        'backend',
        'decode-detections',
        'nms',
        'map-boxes',
      ]),
    );

    // A secret in the query (where some clients put keys) is not logged: the route template is.
    const refused = await fetch(
      `${gateway.httpUrl}/v1/models/nanodet/detect?api_key=hunter2-query-secret`,
      {
        method: 'POST',
        headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'image/jpeg', 'x-request-id': 'q-1' },
        body: sampleImage('messi5.jpg'),
      },
    );
    expect(refused.status).toBe(400);
    expect(await lineOf('q-1')).toMatchObject({ status: 400, route: '/v1/models/:model/detect' });

    const secret = TEST_API_KEY.split('_')[2];
    expect(capture.text()).toContain('"requestId":"detect-1"');
    expect(capture.text()).not.toContain(secret);
    expect(capture.text()).not.toContain('hunter2-query-secret');
  });

  it('replaces a request id that is too long or not a plain token, and never echoes it', async () => {
    for (const bad of ['has spaces <script>', 'x'.repeat(129), 'tab\there']) {
      const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet`, {
        headers: { ...authHeaders(), 'x-request-id': bad },
      });
      expect(response.status).toBe(200);
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(UUID);
      const line = await lineOf(id!);
      expect(line.route).toBe('/v2/models/:model');
      expect(capture.text()).not.toContain(bad);
    }
  });

  it('returns the request id on a path the router refuses (bad percent-encoding)', async () => {
    const response = await fetch(`${gateway.httpUrl}/v2/models/%zz/ready`, {
      headers: { 'x-request-id': 'bad-path-1' },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-request-id')).toBe('bad-path-1');
  });

  it('returns and logs the request id of refused calls: no credential (401), unknown model (404)', async () => {
    const anonymous = await fetch(`${gateway.httpUrl}/v2/models/nanodet/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'anon-1' },
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-request-id')).toBe('anon-1');
    expect(await lineOf('anon-1')).toMatchObject({
      status: 401,
      tenant: null,
      model: 'nanodet',
      version: null,
    });

    // A bearer token the gateway does not accept: refused, logged, and not in the log.
    const jwt =
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW1lcmEtNyIsInNjb3BlIjoiaW5mZXI6KiJ9.c2lnbmF0dXJlLWJ5dGVz';
    const bearer = await fetch(`${gateway.httpUrl}/v2/models/nanodet`, {
      headers: { authorization: `Bearer ${jwt}`, 'x-request-id': 'jwt-1' },
    });
    expect(bearer.status).toBe(401);
    expect(await lineOf('jwt-1')).toMatchObject({ status: 401, tenant: null });
    expect(capture.text()).not.toContain(jwt.split('.')[1]);

    const unknown = await fetch(`${gateway.httpUrl}/v2/models/no-such-model/infer`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json' },
      body: inferBody(),
    });
    expect(unknown.status).toBe(404);
    const id = unknown.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect(await lineOf(id!)).toMatchObject({
      status: 404,
      model: 'no-such-model',
      version: null,
      tenant: 'admin',
    });
  });

  it('follows gRPC calls: the id in the answer headers, or trailers of an error; one line each', async () => {
    const kserve = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    try {
      const bytes = new Uint8Array(EMBEDDING_INPUT.buffer.slice(0));
      const request = create(ModelInferRequestSchema, {
        modelName: 'appearance-mobilenetv2',
        inputs: [{ name: 'images', datatype: 'FP32', shape: [1n, 3n, 128n, 64n] }],
        rawInputContents: [bytes],
      });
      const metadata = new Metadata();
      metadata.set('x-request-id', 'grpc-1');
      const answered = await grpcCall(kserve, 'modelInfer', request, metadata);
      expect(answered.error).toBeUndefined();
      expect(answered.headers?.get('x-request-id')).toEqual(['grpc-1']);
      const line = await lineOf('grpc-1');
      expect(line).toMatchObject({
        protocol: 'grpc',
        route: 'inference.GRPCInferenceService/ModelInfer',
        model: 'appearance-mobilenetv2',
        version: '1',
        status: status.OK,
        tenant: 'admin',
      });
      // The wire's message bytes: the tensor and its header in, a 1280-float embedding out.
      expect(line.bytesIn).toBeGreaterThan(bytes.byteLength);
      expect(line.bytesIn).toBeLessThan(bytes.byteLength + 1024);
      expect(line.bytesOut).toBeGreaterThan(1280 * 4);
      expect(line.bytesOut).toBeLessThan(1280 * 4 + 1024);

      const missing = new Metadata();
      missing.set('x-request-id', 'grpc-404');
      const refused = await grpcCall(
        kserve,
        'modelInfer',
        create(ModelInferRequestSchema, { ...request, modelName: 'no-such-model' }),
        missing,
      );
      expect(refused.error?.code).toBe(status.NOT_FOUND);
      expect(refused.trailers?.get('x-request-id')).toEqual(['grpc-404']);
      expect(await lineOf('grpc-404')).toMatchObject({ status: status.NOT_FOUND });
    } finally {
      kserve.close();
    }
  });

  it('logs a camera stream as one call when it ends, with its messages each way', async () => {
    const session = openTrackStream(gateway.grpcAddress, { apiKey: TEST_API_KEY });
    session.send({
      config: streamConfig(),
      cameraId: 'door',
      seq: 1n,
      captureTimeMs: BigInt(Date.now()),
      image: sampleImage('messi5.jpg'),
    });
    await until(() => session.results.length === 1, 'the frame answered', 30_000);
    session.close();
    expect(await session.closed).toBeNull();
    await until(
      () =>
        capture.accessLines().some((line) => line.route === 'vision.v1.StreamService/StreamTrack'),
      'the stream logged',
      10_000,
    );
    const line = capture
      .accessLines()
      .find((entry) => entry.route === 'vision.v1.StreamService/StreamTrack')!;
    expect(line).toMatchObject({
      protocol: 'grpc',
      status: status.OK,
      messagesIn: 1,
      messagesOut: 1,
      model: 'nanodet',
      tenant: 'admin',
    });
    expect(line.requestId).toMatch(UUID);
  });
});

describe('GATEWAY_ACCESS_LOG=false', () => {
  it('writes no access log line, and still returns request ids', async () => {
    const capture = captureStdout();
    const gateway = await startTestGateway({
      LOG_LEVEL: 'log',
      LOG_FORMAT: 'json',
      GATEWAY_ACCESS_LOG: 'false',
    });
    try {
      const id = randomBytes(8).toString('hex');
      const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet`, {
        headers: { ...authHeaders(), 'x-request-id': id },
      });
      expect(response.headers.get('x-request-id')).toBe(id);
      // Other lines are written meanwhile (start-up), so the logger does work: only this one is off.
      expect(capture.text()).toContain('"level":"info"');
      expect(capture.accessLines()).toEqual([]);
    } finally {
      await gateway.close();
      capture.restore();
    }
  }, 120_000);
});
