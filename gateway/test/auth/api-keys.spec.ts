/**
 * API keys end to end on a real gateway: HTTP (x-api-key and Bearer) and gRPC metadata, scopes,
 * the admin API (create, list, revoke, rotate), and what happens to keys across restarts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { status, type Client, type Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  ModelMetadataRequestSchema,
} from '@contracts/generated/inference/grpc_service_pb';
import { DetectRequestSchema, VisionService } from '@contracts/generated/vision/v1/vision_pb';
import { NANODET_INPUT_SIZE, nanodetInferRequest } from '../nanodet-reference';
import {
  authHeaders,
  authMetadata,
  callUnary,
  createApiKey,
  grpcClient,
  sampleImage,
  seededFloats,
  startTestGateway,
  TEST_API_KEY,
  type TestGateway,
} from '../test-gateway';

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(
  gateway: TestGateway,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Answer> {
  const response = await fetch(`${gateway.httpUrl}${path}`, { method, headers, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

const detect = (gateway: TestGateway, headers: Record<string, string>) =>
  call(
    gateway,
    'POST',
    '/v1/models/nanodet/detect',
    { ...headers, 'content-type': 'image/jpeg' },
    sampleImage('messi5.jpg'),
  );

const createKey = (gateway: TestGateway, body: unknown, headers = authHeaders()) =>
  call(
    gateway,
    'POST',
    '/admin/api-keys',
    { ...headers, 'content-type': 'application/json' },
    JSON.stringify(body),
  );

/** A unary call with explicit metadata (the test clients otherwise add the key themselves). */
function callWith(
  client: Client & Record<string, unknown>,
  method: string,
  request: unknown,
  metadata: Metadata,
): Promise<unknown> {
  const fn = client[method] as (
    request: unknown,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: unknown) => void,
  ) => void;
  return new Promise((resolve, reject) =>
    fn.call(client, request, metadata, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

const grpcError = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: ServiceError) => ({ code: error.code, details: error.details }),
  );

describe('API keys', () => {
  let gateway: TestGateway;
  let nanodetKey: string;

  beforeAll(async () => {
    gateway = await startTestGateway();
    nanodetKey = (
      await createApiKey(gateway.httpUrl, { tenant: 'team-a', scopes: ['infer:nanodet'] })
    ).key;
  });
  afterAll(() => gateway?.close());

  describe('over HTTP', () => {
    it('lets a key with infer:nanodet detect, sent as x-api-key or as a Bearer token', async () => {
      expect((await detect(gateway, { 'x-api-key': nanodetKey })).status).toBe(200);
      expect((await detect(gateway, { authorization: `Bearer ${nanodetKey}` })).status).toBe(200);
    });

    it('refuses an anonymous call with 401, a Bearer challenge and what to send', async () => {
      const answer = await detect(gateway, {});
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="gateway"');
      expect(answer.body).toEqual({
        error: {
          code: 'unauthenticated',
          message:
            "authentication required: send an API key as 'x-api-key: <key>' or 'authorization: Bearer <key or JWT>'",
        },
      });
    });

    it('refuses an anonymous call before reading its body (no 413 for an oversized one)', async () => {
      const huge = Buffer.alloc(80 * 1024 * 1024);
      const answer = await call(gateway, 'POST', '/v2/models/nanodet/infer', {}, huge);
      expect(answer.status).toBe(401);
    });

    it.each([
      [
        'a malformed key',
        { 'x-api-key': 'tcg_nope' },
        'the API key is malformed: expected tcg_<id>_<secret>',
      ],
      [
        'an unknown key',
        { 'x-api-key': `tcg_ZZZZZZZZZZZZ_${'a'.repeat(43)}` },
        "API key 'ZZZZZZZZZZZZ' is not valid",
      ],
      [
        'a wrong secret',
        { 'x-api-key': `${TEST_API_KEY.slice(0, -1)}A` },
        "API key 'TestGateway1' is not valid",
      ],
      [
        'another scheme',
        { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
        "the authorization header must be 'Bearer <API key or JWT>'",
      ],
      [
        'two credentials',
        { 'x-api-key': TEST_API_KEY, authorization: `Bearer ${TEST_API_KEY}` },
        'more than one credential: send one x-api-key or one authorization header, not several',
      ],
      [
        'a JWT while none is configured',
        { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln' },
        'JWT bearer tokens are not accepted here: the gateway has no JWT key configured',
      ],
    ])(
      'refuses %s with 401 saying what is wrong, never repeating it',
      async (_what, headers, message) => {
        const answer = await detect(gateway, headers);
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual({ error: { code: 'unauthenticated', message } });
        for (const value of Object.values(headers)) {
          expect(JSON.stringify(answer.body)).not.toContain(value.slice(-20));
        }
      },
    );

    it('refuses another model, metrics and the admin API with 403 naming the missing scope', async () => {
      const headers = { 'x-api-key': nanodetKey };
      const other = await call(gateway, 'GET', '/v2/models/yolo', headers);
      expect(other.status).toBe(403);
      expect(other.body).toEqual({
        error: expect.stringMatching(
          /^permission denied: this needs scope 'infer:yolo' \(or 'infer:\*'\); key:\w{12} of tenant 'team-a' has infer:nanodet$/,
        ),
      });
      const metrics = await call(gateway, 'GET', '/metrics', headers);
      expect(metrics.status).toBe(403);
      expect(JSON.stringify(metrics.body)).toContain("needs scope 'metrics:read'");
      const admin = await call(gateway, 'GET', '/admin/api-keys', headers);
      expect(admin.status).toBe(403);
      expect(JSON.stringify(admin.body)).toContain("needs scope 'admin'");
    });

    it('lets infer:* reach every model and metrics:read scrape /metrics', async () => {
      const { key } = await createApiKey(gateway.httpUrl, {
        tenant: 'team-b',
        scopes: ['infer:*', 'metrics:read'],
      });
      expect((await detect(gateway, { 'x-api-key': key })).status).toBe(200);
      // An unknown model is past authorisation: 404, not 403.
      expect((await call(gateway, 'GET', '/v2/models/yolo', { 'x-api-key': key })).status).toBe(
        404,
      );
      expect((await call(gateway, 'GET', '/metrics', { 'x-api-key': key })).status).toBe(200);
    });

    it('refuses an x-priority other than realtime or bulk with 400 naming the header', async () => {
      expect(
        (await detect(gateway, { 'x-api-key': nanodetKey, 'x-priority': 'bulk' })).status,
      ).toBe(200);
      const answer = await detect(gateway, { 'x-api-key': nanodetKey, 'x-priority': 'urgent' });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: {
          code: 'invalid_argument',
          message: "header 'x-priority' must be 'realtime' or 'bulk' (got 'urgent')",
        },
      });
    });
  });

  describe('over gRPC', () => {
    let anonymous: Client & Record<string, unknown>;
    let nanodet: Client & Record<string, unknown>;
    let vision: Client & Record<string, unknown>;

    beforeAll(() => {
      anonymous = grpcClient(GRPCInferenceService, gateway.grpcAddress, { apiKey: null });
      nanodet = grpcClient(GRPCInferenceService, gateway.grpcAddress, { apiKey: nanodetKey });
      vision = grpcClient(VisionService, gateway.grpcAddress, { apiKey: nanodetKey });
    });
    afterAll(() => {
      for (const client of [anonymous, nanodet, vision]) client?.close();
    });

    const request = () => nanodetInferRequest(seededFloats(NANODET_INPUT_SIZE, 5), 1, { id: 'a' });

    it('serves ModelInfer and Detect to a key with infer:nanodet', async () => {
      expect(await callUnary(nanodet, 'modelInfer', request())).toMatchObject({
        modelName: 'nanodet',
      });
      const image = sampleImage('messi5.jpg');
      const detected = await callUnary<{ detections: unknown[] }>(
        vision,
        'detect',
        create(DetectRequestSchema, { model: 'nanodet', image }),
      );
      expect(detected.detections.length).toBeGreaterThan(0);
    });

    it('answers UNAUTHENTICATED without a credential, PERMISSION_DENIED for another model', async () => {
      expect(await grpcError(callUnary(anonymous, 'modelInfer', request()))).toEqual({
        code: status.UNAUTHENTICATED,
        details: expect.stringMatching(/^authentication required: send an API key as 'x-api-key/),
      });
      expect(
        await grpcError(callUnary(nanodet, 'modelInfer', { ...request(), modelName: 'yolo' })),
      ).toEqual({
        code: status.PERMISSION_DENIED,
        details: expect.stringMatching(/needs scope 'infer:yolo'/),
      });
      expect(
        await grpcError(
          callUnary(nanodet, 'modelMetadata', create(ModelMetadataRequestSchema, { name: 'yolo' })),
        ),
      ).toMatchObject({
        code: status.PERMISSION_DENIED,
      });
    });

    it('reads authorization: Bearer from metadata too, and x-priority', async () => {
      const bearer = authMetadata(nanodetKey);
      bearer.remove('x-api-key');
      bearer.set('authorization', `Bearer ${nanodetKey}`);
      expect(await callWith(anonymous, 'modelInfer', request(), bearer)).toMatchObject({
        modelName: 'nanodet',
      });
      bearer.set('x-priority', 'soon');
      expect(await grpcError(callWith(anonymous, 'modelInfer', request(), bearer))).toEqual({
        code: status.INVALID_ARGUMENT,
        details: "metadata 'x-priority' must be 'realtime' or 'bulk' (got 'soon')",
      });
    });

    it('ModelStreamInfer: authenticated at the start, each message authorised for its model', async () => {
      const { key } = await createApiKey(gateway.httpUrl, {
        tenant: 'team-a',
        scopes: ['infer:yolo'],
      });
      const noInfer = (
        await createApiKey(gateway.httpUrl, { tenant: 'team-a', scopes: ['metrics:read'] })
      ).key;
      const stream = async (apiKey: string | null) => {
        const client = grpcClient(GRPCInferenceService, gateway.grpcAddress, { apiKey });
        try {
          return await new Promise<{
            messages: { errorMessage: string; ok: boolean }[];
            error?: ServiceError;
          }>((resolve) => {
            const duplex = (
              client.modelStreamInfer as () => NodeJS.ReadWriteStream & {
                end(): void;
                write(m: unknown): void;
              }
            ).call(client);
            const messages: { errorMessage: string; ok: boolean }[] = [];
            duplex.on('data', (message: { errorMessage: string; inferResponse?: unknown }) =>
              messages.push({
                errorMessage: message.errorMessage,
                ok: message.inferResponse !== undefined,
              }),
            );
            duplex.on('error', (error: ServiceError) => resolve({ messages, error }));
            duplex.on('end', () => resolve({ messages }));
            duplex.write(request());
            duplex.write({ ...request(), modelName: 'yolo' });
            duplex.end();
          });
        } finally {
          client.close();
        }
      };
      expect((await stream(null)).error?.code).toBe(status.UNAUTHENTICATED);
      expect((await stream(noInfer)).error?.code).toBe(status.PERMISSION_DENIED);
      const partly = await stream(key);
      expect(partly.error).toBeUndefined();
      expect(partly.messages).toEqual([
        { ok: false, errorMessage: expect.stringMatching(/needs scope 'infer:nanodet'/) },
        // Past authorisation; the gateway has no yolo.
        { ok: false, errorMessage: "unknown model 'yolo'" },
      ]);
      const served = await stream(nanodetKey);
      expect(served.messages[0]).toEqual({ ok: true, errorMessage: '' });
    });
  });

  describe('the admin API', () => {
    it('creates a key, shows it once, and lists keys without secrets or hashes', async () => {
      const created = await createKey(gateway, {
        tenant: 'team-c',
        scopes: ['infer:nanodet', 'infer:nanodet'],
        name: 'camera fleet',
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('cache-control')).toBe('no-store');
      const body = created.body as { id: string; key: string };
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9A-Za-z]{12}$/),
        key: expect.stringMatching(new RegExp(`^tcg_${body.id}_[A-Za-z0-9_-]{43}$`)),
        tenant: 'team-c',
        scopes: ['infer:nanodet'],
        name: 'camera fleet',
        createdAt: expect.any(String),
      });
      expect((await detect(gateway, { 'x-api-key': body.key })).status).toBe(200);

      const listed = await call(gateway, 'GET', '/admin/api-keys', authHeaders());
      expect(listed.status).toBe(200);
      const keys = (listed.body as { keys: Record<string, unknown>[] }).keys;
      expect(keys).toContainEqual({
        id: body.id,
        tenant: 'team-c',
        scopes: ['infer:nanodet'],
        name: 'camera fleet',
        createdAt: expect.any(String),
      });
      const text = JSON.stringify(listed.body);
      expect(text).not.toContain(body.key.slice(-43));
      expect(text).not.toMatch(/hash|salt|secret/);
    });

    it.each([
      [{ scopes: ['admin'] }, "field 'tenant' is required (a string)"],
      [{ tenant: 'a b', scopes: ['admin'] }, "field 'tenant' must be 1-64 characters"],
      [{ tenant: 't' }, "field 'scopes' is required (an array of scopes)"],
      [{ tenant: 't', scopes: [] }, "field 'scopes' needs at least one scope"],
      [
        { tenant: 't', scopes: ['infer:nanodet', 'root'] },
        `field 'scopes': 'root' is not a scope: use infer:<model>, infer:*, metrics:read, viewer, operator or admin`,
      ],
      [{ tenant: 't', scopes: ['infer:'] }, `field 'scopes': 'infer:' is not a scope`],
      [{ tenant: 't', scopes: ['admin'], owner: 'x' }, "unknown field 'owner'"],
      [[1, 2], 'the body must be a JSON object'],
    ])('refuses %j with 400 naming the field', async (body, message) => {
      const answer = await createKey(gateway, body);
      expect(answer.status).toBe(400);
      expect((answer.body as { error: { message: string } }).error.message).toContain(message);
    });

    it('refuses a body that is not JSON', async () => {
      const answer = await call(
        gateway,
        'POST',
        '/admin/api-keys',
        { ...authHeaders(), 'content-type': 'application/json' },
        '{',
      );
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body)).toContain('the body is not valid JSON');
    });

    it('revokes a key at once (204), and says 404 for an unknown id', async () => {
      const { id, key } = await createApiKey(gateway.httpUrl, {
        tenant: 't',
        scopes: ['infer:nanodet'],
      });
      expect((await detect(gateway, { 'x-api-key': key })).status).toBe(200);
      expect((await call(gateway, 'DELETE', `/admin/api-keys/${id}`, authHeaders())).status).toBe(
        204,
      );
      const refused = await detect(gateway, { 'x-api-key': key });
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({
        error: { code: 'unauthenticated', message: `API key '${id}' was revoked` },
      });
      // Revoking again changes nothing.
      expect((await call(gateway, 'DELETE', `/admin/api-keys/${id}`, authHeaders())).status).toBe(
        204,
      );
      const unknown = await call(gateway, 'DELETE', '/admin/api-keys/NoSuchKey123', authHeaders());
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({
        error: { code: 'not_found', message: "no API key with id 'NoSuchKey123'" },
      });
    });

    it('rotates a key: a new key with the same tenant and scopes, the old one revoked', async () => {
      const old = await createApiKey(gateway.httpUrl, {
        tenant: 'team-r',
        scopes: ['infer:nanodet'],
        name: 'r',
      });
      const rotated = await call(
        gateway,
        'POST',
        `/admin/api-keys/${old.id}/rotate`,
        authHeaders(),
      );
      expect(rotated.status).toBe(201);
      const fresh = rotated.body as { id: string; key: string };
      expect(fresh).toMatchObject({
        tenant: 'team-r',
        scopes: ['infer:nanodet'],
        name: 'r',
        rotatedFrom: old.id,
      });
      expect(fresh.id).not.toBe(old.id);
      expect((await detect(gateway, { 'x-api-key': fresh.key })).status).toBe(200);
      expect((await detect(gateway, { 'x-api-key': old.key })).status).toBe(401);
      const again = await call(gateway, 'POST', `/admin/api-keys/${old.id}/rotate`, authHeaders());
      expect(again.status).toBe(409);
      expect(JSON.stringify(again.body)).toContain(
        `API key '${old.id}' is revoked and cannot be rotated`,
      );
      expect(
        (await call(gateway, 'POST', '/admin/api-keys/NoSuchKey123/rotate', authHeaders())).status,
      ).toBe(404);
    });
  });
});

describe('API keys across restarts and first starts', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gateway-keys-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Starts a gateway on `dataDir` and returns what it printed on stdout while starting. */
  async function startPrinting(env: Record<string, string>) {
    const printed: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      const gateway = await startTestGateway({ GATEWAY_DATA_DIR: dataDir, ...env });
      return { gateway, printed: printed.join('') };
    } finally {
      spy.mockRestore();
    }
  }

  it('keeps keys in GATEWAY_DATA_DIR/api-keys.json, as hashes only, across a restart', async () => {
    const first = await startTestGateway({ GATEWAY_DATA_DIR: dataDir });
    let created: { id: string; key: string };
    try {
      created = await createApiKey(first.httpUrl, { tenant: 'p', scopes: ['infer:nanodet'] });
    } finally {
      await first.close();
    }
    const file = readFileSync(join(dataDir, 'api-keys.json'), 'utf8');
    expect(file).toContain(created.id);
    expect(file).not.toContain(created.key.split('_').slice(2).join('_'));
    expect(file).not.toContain(TEST_API_KEY.split('_').slice(2).join('_'));

    const second = await startTestGateway({ GATEWAY_DATA_DIR: dataDir });
    try {
      expect((await detect(second, { 'x-api-key': created.key })).status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it('prints an admin key once on the first start without GATEWAY_BOOTSTRAP_API_KEY, never again', async () => {
    const first = await startPrinting({ GATEWAY_BOOTSTRAP_API_KEY: '' });
    let key: string;
    try {
      const match = /FIRST START[^\n]*\n {2}(tcg_[0-9A-Za-z]{12}_[A-Za-z0-9_-]{43})\n/.exec(
        first.printed,
      );
      expect(match).not.toBeNull();
      key = match![1];
      expect((await call(first.gateway, 'GET', '/admin/api-keys', authHeaders(key))).status).toBe(
        200,
      );
      expect((await detect(first.gateway, authHeaders(key))).status).toBe(200);
      // The bootstrap key of the test helper was not configured, so it is not a key here.
      expect((await detect(first.gateway, authHeaders())).status).toBe(401);
    } finally {
      await first.gateway.close();
    }
    const second = await startPrinting({ GATEWAY_BOOTSTRAP_API_KEY: '' });
    try {
      expect(second.printed).not.toMatch(/tcg_|FIRST START/);
      expect((await detect(second.gateway, authHeaders(key))).status).toBe(200);
    } finally {
      await second.gateway.close();
    }
  });

  it('ensures GATEWAY_BOOTSTRAP_API_KEY idempotently and prints nothing', async () => {
    for (let start = 0; start < 2; start += 1) {
      const { gateway, printed } = await startPrinting({});
      try {
        expect(printed).not.toContain('tcg_');
        const listed = await call(gateway, 'GET', '/admin/api-keys', authHeaders());
        expect((listed.body as { keys: unknown[] }).keys).toEqual([
          expect.objectContaining({ id: 'TestGateway1', tenant: 'admin', scopes: ['admin'] }),
        ]);
      } finally {
        await gateway.close();
      }
    }
  });

  it('refuses to start when the bootstrap key id is stored with another secret', async () => {
    const first = await startTestGateway({ GATEWAY_DATA_DIR: dataDir });
    await first.close();
    const impostor = `tcg_TestGateway1_${'x'.repeat(43)}`;
    await expect(
      startTestGateway({ GATEWAY_DATA_DIR: dataDir, GATEWAY_BOOTSTRAP_API_KEY: impostor }),
    ).rejects.toThrow(
      "GATEWAY_BOOTSTRAP_API_KEY: the store already holds key id 'TestGateway1' with another secret",
    );
  });

  it('keeps a revoked bootstrap key revoked after a restart', async () => {
    const first = await startTestGateway({ GATEWAY_DATA_DIR: dataDir });
    let admin: string;
    try {
      admin = (await createApiKey(first.httpUrl, { tenant: 'ops', scopes: ['admin'] })).key;
      const revoked = await call(
        first,
        'DELETE',
        '/admin/api-keys/TestGateway1',
        authHeaders(admin),
      );
      expect(revoked.status).toBe(204);
    } finally {
      await first.close();
    }
    const second = await startTestGateway({ GATEWAY_DATA_DIR: dataDir });
    try {
      expect((await detect(second, authHeaders())).status).toBe(401);
      expect((await detect(second, authHeaders(admin))).status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it('serves /metrics without a credential only with GATEWAY_METRICS_PUBLIC=true', async () => {
    const gateway = await startTestGateway({
      GATEWAY_DATA_DIR: dataDir,
      GATEWAY_METRICS_PUBLIC: 'true',
    });
    try {
      expect((await call(gateway, 'GET', '/metrics')).status).toBe(200);
      expect((await call(gateway, 'GET', '/v2')).status).toBe(401);
    } finally {
      await gateway.close();
    }
  });
});
