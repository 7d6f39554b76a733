/**
 * Triton's model_repository extension on the gateway (embedded ONNX Runtime backend), end to end:
 * a real gateway on real sockets serving a temporary copy of the model repository, changed on disk
 * the way the control plane changes it (a version folder added, a broken model file), then loaded
 * and unloaded over REST and gRPC.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, cpSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { status, type Client } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  ModelReadyRequestSchema,
  ModelRepositoryParameterSchema,
  RepositoryIndexRequestSchema,
  RepositoryModelLoadRequestSchema,
  RepositoryModelUnloadRequestSchema,
  type ModelInferResponse,
  type ModelReadyResponse,
  type RepositoryIndexResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import {
  NANODET_INPUT_SIZE,
  nanodetBinaryInferBody,
  nanodetInferRequest,
  nanodetReference,
  rawOutputsOf,
} from './nanodet-reference';
import {
  authHeaders,
  callUnary,
  createApiKey,
  grpcClient,
  MODEL_REPOSITORY,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from './test-gateway';

const NANODET_ONNX = resolve(MODEL_REPOSITORY, 'nanodet/1/model.onnx');

/** A repository with nanodet (version 1, the real ONNX linked in) and a model whose config is broken. */
function temporaryRepository(): string {
  const root = mkdtempSync(join(tmpdir(), 'model-repository-'));
  const model = join(root, 'nanodet');
  mkdirSync(join(model, '1'), { recursive: true });
  cpSync(join(MODEL_REPOSITORY, 'nanodet/config.pbtxt'), join(model, 'config.pbtxt'));
  cpSync(join(MODEL_REPOSITORY, 'nanodet/labels.txt'), join(model, 'labels.txt'));
  symlinkSync(NANODET_ONNX, join(model, '1/model.onnx'));
  mkdirSync(join(root, 'broken/1'), { recursive: true });
  writeFileSync(join(root, 'broken/config.pbtxt'), 'name: "broken"\nmax_batch_size: oops\n');
  return root;
}

function addVersion(root: string, version: string, onnx: string | Buffer): void {
  const directory = join(root, 'nanodet', version);
  mkdirSync(directory, { recursive: true });
  if (typeof onnx === 'string') symlinkSync(onnx, join(directory, 'model.onnx'));
  else writeFileSync(join(directory, 'model.onnx'), onnx);
}

interface Answer {
  status: number;
  body: unknown;
}

async function post(gateway: TestGateway, path: string, body?: unknown, key?: string) {
  const response = await fetch(`${gateway.httpUrl}${path}`, {
    method: 'POST',
    headers: { ...authHeaders(key), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

async function get(gateway: TestGateway, path: string): Promise<Answer> {
  const response = await fetch(`${gateway.httpUrl}${path}`, { headers: authHeaders() });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** REST infer of a seeded nanodet input on `path`; the JSON header of the answer. */
async function inferOn(gateway: TestGateway, path: string): Promise<Answer> {
  const { body, headers } = nanodetBinaryInferBody(seededFloats(NANODET_INPUT_SIZE, 7), 1);
  const response = await fetch(`${gateway.httpUrl}${path}`, {
    method: 'POST',
    headers: { ...authHeaders(), ...headers },
    body,
  });
  const raw = Buffer.from(await response.arrayBuffer());
  const headerLength = Number(
    response.headers.get('inference-header-content-length') ?? raw.length,
  );
  return { status: response.status, body: JSON.parse(raw.subarray(0, headerLength).toString()) };
}

describe('model repository extension (embedded backend, explicit mode)', () => {
  let root: string;
  let gateway: TestGateway;
  let grpc: Client & Record<string, unknown>;

  beforeAll(async () => {
    root = temporaryRepository();
    gateway = await startTestGateway({ MODEL_REPOSITORY: root });
    grpc = grpcClient(GRPCInferenceService, gateway.grpcAddress);
  });
  afterAll(async () => {
    grpc?.close();
    await gateway?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('index lists every model folder with its state and reason; ready=true keeps the READY ones', async () => {
    const index = await post(gateway, '/v2/repository/index');
    expect(index).toEqual({
      status: 200,
      body: [
        {
          name: 'broken',
          state: 'UNAVAILABLE',
          reason: expect.stringMatching(/broken\/config\.pbtxt:2:17: expected an integer/),
        },
        { name: 'nanodet', version: '1', state: 'READY' },
      ],
    });
    expect((await post(gateway, '/v2/repository/index', { ready: true })).body).toEqual([
      { name: 'nanodet', version: '1', state: 'READY' },
    ]);
  });

  it('load picks up a version folder added to the repository: metadata lists it and it serves', async () => {
    addVersion(root, '2', NANODET_ONNX);
    expect(await post(gateway, '/v2/repository/models/nanodet/load')).toEqual({
      status: 200,
      body: undefined,
    });
    // version_policy latest 1: version 2 replaces version 1.
    expect((await get(gateway, '/v2/models/nanodet')).body).toMatchObject({ versions: ['2'] });
    const answer = await inferOn(gateway, '/v2/models/nanodet/versions/2/infer');
    expect(answer).toMatchObject({
      status: 200,
      body: { model_name: 'nanodet', model_version: '2' },
    });
    expect((await inferOn(gateway, '/v2/models/nanodet/versions/1/infer')).status).toBe(404);

    const input = seededFloats(NANODET_INPUT_SIZE, 3);
    const grpcAnswer = await callUnary<ModelInferResponse>(grpc, 'modelInfer', {
      ...nanodetInferRequest(input, 1, { id: 'v2' }),
      modelVersion: '2',
    });
    expect(grpcAnswer.modelVersion).toBe('2');
    expect(rawOutputsOf(grpcAnswer).cls_s32).toEqual((await nanodetReference(input, 1)).cls_s32);
  });

  it('a load whose ONNX file does not load is refused naming why; the version before still serves', async () => {
    addVersion(root, '3', Buffer.from('this is not an ONNX model'));
    const refused = await post(gateway, '/v2/repository/models/nanodet/load');
    expect(refused).toEqual({
      status: 400,
      body: {
        error: expect.stringMatching(
          /^failed to load 'nanodet': model 'nanodet' version 3: .*; versions 2 still serve$/,
        ),
      },
    });
    expect((await get(gateway, '/v2/models/nanodet')).body).toMatchObject({ versions: ['2'] });
    expect((await inferOn(gateway, '/v2/models/nanodet/infer')).body).toMatchObject({
      model_version: '2',
    });
    rmSync(join(root, 'nanodet/3'), { recursive: true });
  });

  it('a load whose config names an output the ONNX graph lacks is refused (I/O mismatch)', async () => {
    mkdirSync(join(root, 'mismatch/1'), { recursive: true });
    symlinkSync(NANODET_ONNX, join(root, 'mismatch/1/model.onnx'));
    writeFileSync(
      join(root, 'mismatch/config.pbtxt'),
      'platform: "onnxruntime_onnx"\nmax_batch_size: 8\n' +
        'input [{ name: "images", data_type: TYPE_FP32, dims: [3, 416, 416] }]\n' +
        'output [{ name: "boxes", data_type: TYPE_FP32, dims: [100, 4] }]\n',
    );
    const refused = await post(gateway, '/v2/repository/models/mismatch/load');
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: expect.stringContaining(
        'the ONNX file does not match config.pbtxt: output "boxes" is in the config but not in the ONNX file',
      ),
    });
    expect((await post(gateway, '/v2/repository/index')).body).toContainEqual({
      name: 'mismatch',
      state: 'UNAVAILABLE',
      reason: expect.stringContaining('does not match config.pbtxt'),
    });
  });

  it('unload: the model is not ready and inference is refused as for an unknown model; load brings it back', async () => {
    expect((await post(gateway, '/v2/repository/models/nanodet/unload')).status).toBe(200);
    expect((await get(gateway, '/v2/models/nanodet/ready')).status).toBe(404);
    expect(await inferOn(gateway, '/v2/models/nanodet/infer')).toEqual({
      status: 404,
      body: { error: "unknown model 'nanodet'" },
    });
    expect((await post(gateway, '/v2/repository/index')).body).toContainEqual({
      name: 'nanodet',
      state: 'UNAVAILABLE',
      reason: 'unloaded',
    });
    expect((await post(gateway, '/v2/repository/models/nanodet/load')).status).toBe(200);
    expect((await inferOn(gateway, '/v2/models/nanodet/infer')).status).toBe(200);
  });

  it('refuses bad names, unknown folders, unknown parameters and bodies with typed 4xx answers', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['/v2/repository/models/..%2Fetc/load', undefined, 400, /is not a model folder name/],
      [`/v2/repository/models/${'m'.repeat(200)}/load`, undefined, 400, /is too long/],
      ['/v2/repository/models/nothing-here/load', undefined, 404, /has no folder 'nothing-here'/],
      ['/v2/repository/models/nothing-here/unload', undefined, 404, /no such model/],
      ['/v2/repository/models/nanodet/load', { parameters: { config: '{}' } }, 400, /'config'/],
      ['/v2/repository/models/nanodet/load', { parameters: { x: 1 } }, 400, /unknown param/],
      ['/v2/repository/models/nanodet/load', { reload: true }, 400, /unknown field 'reload'/],
      [
        '/v2/repository/models/nanodet/unload',
        { parameters: { unload_dependents: 1 } },
        400,
        /boolean/,
      ],
      ['/v2/repository/index', { ready: 'yes' }, 400, /'ready' must be true or false/],
      ['/v2/repository/index', [1], 400, /must be a JSON object/],
    ];
    for (const [path, body, expected, message] of cases) {
      const answer = await post(gateway, path, body);
      expect({ path, ...answer }).toEqual({
        path,
        status: expected,
        body: { error: expect.stringMatching(message) },
      });
    }
    const huge = await fetch(`${gateway.httpUrl}/v2/repository/index`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ ready: true, padding: 'x'.repeat(200_000) }),
    });
    expect(huge.status).toBe(413);
  });

  it('needs scope admin: a caller that may infer nanodet is refused (REST 403, gRPC PERMISSION_DENIED)', async () => {
    const { key } = await createApiKey(gateway.httpUrl, {
      tenant: 'product',
      scopes: ['infer:nanodet'],
    });
    for (const path of ['/v2/repository/index', '/v2/repository/models/nanodet/unload']) {
      expect(await post(gateway, path, undefined, key)).toEqual({
        status: 403,
        body: { error: expect.stringContaining("needs scope 'admin'") },
      });
    }
    const client = grpcClient(GRPCInferenceService, gateway.grpcAddress, { apiKey: key });
    try {
      await expect(
        callUnary(
          client,
          'repositoryModelUnload',
          create(RepositoryModelUnloadRequestSchema, { modelName: 'nanodet' }),
        ),
      ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    } finally {
      client.close();
    }
    expect((await get(gateway, '/v2/models/nanodet/ready')).status).toBe(200);
  });

  it('gRPC: RepositoryIndex, RepositoryModelUnload and RepositoryModelLoad with Triton shapes and statuses', async () => {
    const index = await callUnary<RepositoryIndexResponse>(
      grpc,
      'repositoryIndex',
      create(RepositoryIndexRequestSchema, { ready: true }),
    );
    expect(index.models.map(({ name, version, state }) => ({ name, version, state }))).toEqual([
      { name: 'nanodet', version: '2', state: 'READY' },
    ]);

    const unload = create(RepositoryModelUnloadRequestSchema, {
      modelName: 'nanodet',
      parameters: {
        unload_dependents: create(ModelRepositoryParameterSchema, {
          parameterChoice: { case: 'boolParam', value: false },
        }),
      },
    });
    await callUnary(grpc, 'repositoryModelUnload', unload);
    const ready = await callUnary<ModelReadyResponse>(
      grpc,
      'modelReady',
      create(ModelReadyRequestSchema, { name: 'nanodet' }),
    );
    expect(ready.ready).toBe(false);
    await expect(
      callUnary(
        grpc,
        'modelInfer',
        nanodetInferRequest(seededFloats(NANODET_INPUT_SIZE), 1, { id: 'x' }),
      ),
    ).rejects.toMatchObject({ code: status.NOT_FOUND, details: "unknown model 'nanodet'" });

    await expect(
      callUnary(
        grpc,
        'repositoryModelLoad',
        create(RepositoryModelLoadRequestSchema, {
          modelName: 'nanodet',
          parameters: {
            'file:1/model.onnx': create(ModelRepositoryParameterSchema, {
              parameterChoice: { case: 'bytesParam', value: new Uint8Array(4) },
            }),
          },
        }),
      ),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: /'file:1\/model.onnx'/ });
    await expect(
      callUnary(grpc, 'repositoryModelLoad', create(RepositoryModelLoadRequestSchema, {})),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: /model name '' / });

    await callUnary(
      grpc,
      'repositoryModelLoad',
      create(RepositoryModelLoadRequestSchema, { modelName: 'nanodet' }),
    );
    const back = await callUnary<ModelReadyResponse>(
      grpc,
      'modelReady',
      create(ModelReadyRequestSchema, { name: 'nanodet', version: '2' }),
    );
    expect(back.ready).toBe(true);
  });

  it('concurrent loads of one model leave one loaded set that serves', async () => {
    const answers = await Promise.all(
      [1, 2, 3].map(() => post(gateway, '/v2/repository/models/nanodet/load')),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect((await inferOn(gateway, '/v2/models/nanodet/infer')).status).toBe(200);
  });
});

describe('model repository extension, GATEWAY_MODEL_CONTROL_MODE=none', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ GATEWAY_MODEL_CONTROL_MODE: 'none' });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it("refuses load and unload with Triton's answer for that mode; the index still answers", async () => {
    const refusal = {
      status: 503,
      body: { error: 'explicit model load / unload is not allowed if polling is enabled' },
    };
    expect(await post(gateway, '/v2/repository/models/nanodet/load')).toEqual(refusal);
    expect(await post(gateway, '/v2/repository/models/nanodet/unload')).toEqual(refusal);
    const grpc = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    try {
      await expect(
        callUnary(
          grpc,
          'repositoryModelUnload',
          create(RepositoryModelUnloadRequestSchema, { modelName: 'nanodet' }),
        ),
      ).rejects.toMatchObject({ code: status.UNAVAILABLE });
    } finally {
      grpc.close();
    }
    expect((await post(gateway, '/v2/repository/index')).body).toEqual([
      { name: 'appearance-mobilenetv2', version: '1', state: 'READY' },
      { name: 'nanodet', version: '1', state: 'READY' },
    ]);
    expect((await get(gateway, '/v2/models/nanodet/ready')).status).toBe(200);
  });
});
