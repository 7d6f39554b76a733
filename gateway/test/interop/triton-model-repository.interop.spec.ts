/**
 * The model_repository extension through the gateway in front of a real NVIDIA Triton started with
 * --model-control-mode=explicit: unload and load reach Triton, the gateway's cached metadata
 * follows at once (a new version folder is served on the next call), and NVIDIA's tritonclient
 * (load_model, unload_model, get_model_repository_index) works against the gateway unchanged.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NANODET_INPUT_SIZE, nanodetBinaryInferBody } from '../nanodet-reference';
import {
  authHeaders,
  MODEL_REPOSITORY,
  seededFloats,
  startTestGateway,
  TEST_API_KEY,
  type TestGateway,
} from '../test-gateway';
import { until } from '../wait-until';
import {
  startTritonServer,
  TRITON_PYTHON,
  tritonHttp,
  withoutTriton,
  type RunningTriton,
} from './triton-server';

/** tritonclient's own repository calls at the gateway (gRPC), printed as one JSON line. */
const TRITONCLIENT_SCRIPT = `
import json, sys
import tritonclient.grpc as grpcclient
client = grpcclient.InferenceServerClient(sys.argv[1])
headers = {"x-api-key": sys.argv[2]}
client.unload_model("nanodet", headers=headers)
unloaded = client.is_model_ready("nanodet", headers=headers)
client.load_model("nanodet", headers=headers)
index = client.get_model_repository_index(headers=headers, as_json=True)
print(json.dumps({"unloaded_ready": unloaded, "ready": client.is_model_ready("nanodet", headers=headers), "index": index}))
`;

async function post(gateway: TestGateway, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${gateway.httpUrl}${path}`, {
    method: 'POST',
    headers: authHeaders(),
  });
  return { status: response.status, text: await response.text() };
}

async function infer(gateway: TestGateway, path: string): Promise<number> {
  const { body, headers } = nanodetBinaryInferBody(seededFloats(NANODET_INPUT_SIZE, 5), 1);
  const response = await fetch(`${gateway.httpUrl}${path}`, {
    method: 'POST',
    headers: { ...authHeaders(), ...headers },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

async function servedVersions(gateway: TestGateway): Promise<string[] | number> {
  const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet`, { headers: authHeaders() });
  if (response.status !== 200) return response.status;
  return ((await response.json()) as { versions: string[] }).versions;
}

describe('model repository extension through the gateway to Triton (explicit mode)', () => {
  if (withoutTriton('the model-repository interop spec')) return;

  let source: string;
  let triton: RunningTriton;
  let gateway: TestGateway;

  beforeAll(async () => {
    // A copy of the production repository: the test adds a version folder to it.
    source = mkdtempSync(join(tmpdir(), 'triton-repository-'));
    mkdirSync(join(source, 'nanodet/1'), { recursive: true });
    for (const file of ['config.pbtxt', 'labels.txt']) {
      cpSync(join(MODEL_REPOSITORY, 'nanodet', file), join(source, 'nanodet', file));
    }
    symlinkSync(
      join(MODEL_REPOSITORY, 'nanodet/1/model.onnx'),
      join(source, 'nanodet/1/model.onnx'),
    );
    triton = await startTritonServer({ repository: source, modelControlMode: 'explicit' });
    gateway = await startTestGateway({
      TRITON_GRPC_URLS: triton.grpcAddress,
      MODEL_REPOSITORY: source,
      TRITON_TIMEOUT_MS: '30000',
      TRITON_HEALTH_INTERVAL_MS: '500',
    });
    await until(async () => Array.isArray(await servedVersions(gateway)), 'gateway serves nanodet');
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    await triton?.stop();
    if (source) rmSync(source, { recursive: true, force: true });
  });

  it('unload through the gateway unloads in Triton; the gateway stops serving the model', async () => {
    expect(await post(gateway, '/v2/repository/models/nanodet/unload')).toEqual({
      status: 200,
      text: '',
    });
    // Triton unloads in the background (UNLOADING) and, with its default strict readiness, is not
    // ready meanwhile: the gateway answers 503 (no healthy endpoint) until then, never the model.
    expect(await servedVersions(gateway)).not.toEqual(['1']);
    await until(async () => (await servedVersions(gateway)) === 404, 'gateway: nanodet unknown');
    await until(async () => {
      const index = await tritonHttp(`http://${triton.httpAddress}/v2/repository/index`, {
        method: 'POST',
      });
      const models = JSON.parse(index.body.toString()) as { state?: string; reason?: string }[];
      return models[0]?.state === 'UNAVAILABLE' && models[0]?.reason === 'unloaded';
    }, 'Triton reports nanodet unloaded');
    expect(await servedVersions(gateway)).toBe(404);
    expect(await infer(gateway, '/v2/models/nanodet/infer')).toBe(404);
  });

  it('a version folder added to the repository is served right after a load through the gateway', async () => {
    mkdirSync(join(source, 'nanodet/2'));
    symlinkSync(
      join(MODEL_REPOSITORY, 'nanodet/1/model.onnx'),
      join(source, 'nanodet/2/model.onnx'),
    );
    // What Triton serves is the Python-backend copy: its version folders hold model.py.
    const served = triton.servedRepository!;
    mkdirSync(join(served, 'nanodet/2'));
    copyFileSync(join(served, 'nanodet/1/model.py'), join(served, 'nanodet/2/model.py'));

    expect((await post(gateway, '/v2/repository/models/nanodet/load')).status).toBe(200);
    expect(await servedVersions(gateway)).toEqual(['2']);
    expect(await infer(gateway, '/v2/models/nanodet/versions/2/infer')).toBe(200);
    const index = await fetch(`${gateway.httpUrl}/v2/repository/index`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ ready: true }),
    });
    expect(await index.json()).toEqual([{ name: 'nanodet', version: '2', state: 'READY' }]);
  });

  it("a load Triton refuses answers Triton's verdict naming the endpoint; the model serves on", async () => {
    const answer = await post(gateway, '/v2/repository/models/nothing-here/load');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({
      error: expect.stringContaining(
        `load of model 'nothing-here' failed on 1 of 1 Triton endpoint(s) (${triton.grpcAddress}: INTERNAL: failed to load 'nothing-here'`,
      ),
    });
    expect(await servedVersions(gateway)).toEqual(['2']);
  });

  it("NVIDIA tritonclient's unload_model, load_model and get_model_repository_index work against the gateway", async () => {
    const { stdout } = await promisify(execFile)(
      TRITON_PYTHON,
      ['-c', TRITONCLIENT_SCRIPT, gateway.grpcAddress, TEST_API_KEY],
      { timeout: 90_000 },
    );
    const outcome = JSON.parse(stdout) as {
      unloaded_ready: boolean;
      ready: boolean;
      index: { models: unknown[] };
    };
    expect(outcome).toMatchObject({ unloaded_ready: false, ready: true });
    // Triton also lists the version the load replaced, as unloaded.
    expect(outcome.index.models).toContainEqual({ name: 'nanodet', version: '2', state: 'READY' });
  });

  it("a model Triton cannot load: the gateway stays up, not ready, with Triton's reason", async () => {
    const broken = join(triton.servedRepository!, 'broken');
    mkdirSync(join(broken, '1'), { recursive: true });
    writeFileSync(join(broken, 'config.pbtxt'), 'name: "broken"\nmax_batch_size: eight\n');
    expect((await post(gateway, '/v2/repository/models/broken/load')).status).toBe(400);

    const readyz = await fetch(`${gateway.httpUrl}/readyz`);
    expect(readyz.status).toBe(503);
    const body = (await readyz.json()) as {
      backendReady: boolean;
      unready: { name: string; state: string; reason: string }[];
    };
    expect(body.backendReady).toBe(true);
    expect(body.unready).toEqual([
      { name: 'broken', state: 'UNAVAILABLE', reason: expect.stringMatching(/\S/) as string },
    ]);
    const ready = await fetch(`${gateway.httpUrl}/v2/models/broken/ready`, {
      headers: authHeaders(),
    });
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: string }).error).toContain(
      `model 'broken' is not ready: UNAVAILABLE: ${body.unready[0].reason}`,
    );
    // nanodet still serves: one broken model takes nothing else down.
    expect(await infer(gateway, '/v2/models/nanodet/infer')).toBe(200);
    const metrics = await (
      await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() })
    ).text();
    expect(metrics).toContain('gateway_model_ready{model="broken",state="UNAVAILABLE"} 0');
    expect(metrics).toContain('gateway_model_ready{model="nanodet",state="READY"} 1');
  });
});
