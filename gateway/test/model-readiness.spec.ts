/**
 * Readiness tells the truth (embedded backend): models that cannot load — a config Triton's parser
 * refuses, a corrupt ONNX file, a config whose signature disagrees with its ONNX file, KIND_GPU on
 * a CPU-only backend — leave the gateway up, each reported not ready with its reason (repository
 * index, model ready, /readyz, the gateway_model_ready metric), and the gateway ready only as
 * GATEWAY_REQUIRED_MODELS says. A config that leaves out its signature is completed from the ONNX
 * file, as Triton's auto-complete does, and serves.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import {
  GRPCInferenceService,
  ServerReadyRequestSchema,
  type ServerReadyResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import { healthClient } from './grpc-health';
import {
  authHeaders,
  callUnary,
  grpcClient,
  MODEL_REPOSITORY,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from './test-gateway';

const NANODET = join(MODEL_REPOSITORY, 'nanodet');
const NANODET_CONFIG = readFileSync(join(NANODET, 'config.pbtxt'), 'utf8');

/** A model folder serving nanodet's ONNX file (linked) under `config`. */
function addModel(root: string, name: string, config: string, onnx?: Buffer): void {
  mkdirSync(join(root, name, '1'), { recursive: true });
  symlinkSync(join(NANODET, 'labels.txt'), join(root, name, 'labels.txt'));
  const file = join(root, name, '1', 'model.onnx');
  if (onnx) writeFileSync(file, onnx);
  else symlinkSync(join(NANODET, '1', 'model.onnx'), file);
  writeFileSync(join(root, name, 'config.pbtxt'), config);
}

function renamed(name: string, config = NANODET_CONFIG): string {
  return config.replace('name: "nanodet"', `name: "${name}"`);
}

/** A repository with nanodet and one model for each way a load fails, plus one to auto-complete. */
function brokenRepository(): string {
  const root = mkdtempSync(join(tmpdir(), 'readiness-repo-'));
  addModel(root, 'nanodet', NANODET_CONFIG);
  addModel(
    root,
    'bad-config',
    renamed('bad-config').replace('max_batch_size: 8', 'max_batch_size: eight'),
  );
  addModel(
    root,
    'corrupt-onnx',
    renamed('corrupt-onnx'),
    Buffer.from('not an onnx file'.repeat(64)),
  );
  addModel(
    root,
    'mismatched',
    renamed('mismatched')
      .replace('dims: [ 3, 416, 416 ]', 'dims: [ 3, 320, 320 ]')
      .replace(
        /name: "reg_s32"\n {4}data_type: TYPE_FP32/,
        'name: "reg_s32"\n    data_type: TYPE_INT32',
      ),
  );
  addModel(root, 'on-gpu', renamed('on-gpu').replace('kind: KIND_CPU', 'kind: KIND_GPU'));
  addModel(
    root,
    'completed',
    'name: "completed"\nplatform: "onnxruntime_onnx"\ninstance_group [ { count: 1 kind: KIND_AUTO } ]\n',
  );
  return root;
}

const FAILING: Record<string, RegExp> = {
  'bad-config': /config\.pbtxt:\d+:\d+: expected an integer, got "eight"/,
  'corrupt-onnx': /model 'corrupt-onnx' version 1/,
  mismatched:
    /input "images": the config has dims \[3, 320, 320\], the ONNX file \[3, 416, 416\].*output "reg_s32": the config says INT32, the ONNX file FP32/,
  'on-gpu': /KIND_GPU/,
};

describe('model readiness: failed loads reported with their reason, readiness as configured', () => {
  let root: string;
  let strict: TestGateway;
  let lenient: TestGateway;

  beforeAll(async () => {
    root = brokenRepository();
    [strict, lenient] = await Promise.all([
      startTestGateway({ MODEL_REPOSITORY: root, GATEWAY_READINESS_POLL_MS: '100' }),
      startTestGateway({
        MODEL_REPOSITORY: root,
        GATEWAY_READINESS_POLL_MS: '100',
        GATEWAY_REQUIRED_MODELS: 'nanodet, completed',
      }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([strict?.close(), lenient?.close()]);
    rmSync(root, { recursive: true, force: true });
  });

  it('stays up and lists each failed model UNAVAILABLE with the reason in the repository index', async () => {
    expect((await fetch(`${strict.httpUrl}/healthz`)).status).toBe(200);
    const index = (await (
      await fetch(`${strict.httpUrl}/v2/repository/index`, {
        method: 'POST',
        headers: authHeaders(),
      })
    ).json()) as { name: string; state: string; reason: string }[];
    const byName = new Map(index.map((entry) => [entry.name, entry]));
    for (const [name, reason] of Object.entries(FAILING)) {
      expect(byName.get(name)).toMatchObject({ state: 'UNAVAILABLE' });
      expect(byName.get(name)?.reason).toMatch(reason);
    }
    expect(byName.get('nanodet')).toMatchObject({ state: 'READY' });
    expect(byName.get('completed')).toMatchObject({ state: 'READY' });
  });

  it('model ready answers 503 naming the reason, not 404, for a model that failed to load', async () => {
    for (const [name, reason] of Object.entries(FAILING)) {
      const answer = await fetch(`${strict.httpUrl}/v2/models/${name}/ready`, {
        headers: authHeaders(),
      });
      expect(answer.status).toBe(503);
      const { error } = (await answer.json()) as { error: string };
      expect(error).toContain(`model '${name}' is not ready: UNAVAILABLE`);
      expect(error).toMatch(reason);
    }
    expect(
      (await fetch(`${strict.httpUrl}/v2/models/nanodet/ready`, { headers: authHeaders() })).status,
    ).toBe(200);
    expect(
      (await fetch(`${strict.httpUrl}/v2/models/no-such-model/ready`, { headers: authHeaders() }))
        .status,
    ).toBe(404);
  });

  it('default (every model required): not ready on every readiness surface, /readyz says why', async () => {
    const readyz = await fetch(`${strict.httpUrl}/readyz`);
    expect(readyz.status).toBe(503);
    const body = (await readyz.json()) as {
      status: string;
      backendReady: boolean;
      unready: { name: string; reason: string }[];
    };
    expect(body).toMatchObject({ status: 'not ready', backendReady: true });
    expect(body.unready.map((model) => model.name).sort()).toEqual(Object.keys(FAILING).sort());
    for (const model of body.unready) expect(model.reason).toMatch(FAILING[model.name]);

    const ready = await fetch(`${strict.httpUrl}/v2/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: string }).error).toMatch(
      /required models are not ready: .*'mismatched'/,
    );
    const kserve = grpcClient(GRPCInferenceService, strict.grpcAddress);
    const health = healthClient(strict.grpcAddress);
    try {
      const answer = await callUnary<ServerReadyResponse>(
        kserve,
        'serverReady',
        create(ServerReadyRequestSchema),
      );
      expect(answer.ready).toBe(false);
      expect(await health.check()).toBe('NOT_SERVING');
    } finally {
      kserve.close();
      health.close();
    }
  });

  it('GATEWAY_REQUIRED_MODELS=nanodet,completed: ready, although other models failed', async () => {
    const readyz = await fetch(`${lenient.httpUrl}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toMatchObject({ status: 'ready', unready: [] });
    expect((await fetch(`${lenient.httpUrl}/v2/health/ready`)).status).toBe(200);
    const health = healthClient(lenient.grpcAddress);
    try {
      expect(await health.check()).toBe('SERVING');
    } finally {
      health.close();
    }
  });

  it('a required model unloaded on request stays required; under * an unloaded model is not', async () => {
    const unload = (gateway: TestGateway, model: string) =>
      fetch(`${gateway.httpUrl}/v2/repository/models/${model}/unload`, {
        method: 'POST',
        headers: authHeaders(),
      });
    const load = (gateway: TestGateway, model: string) =>
      fetch(`${gateway.httpUrl}/v2/repository/models/${model}/load`, {
        method: 'POST',
        headers: authHeaders(),
      });
    expect((await unload(lenient, 'completed')).status).toBe(200);
    const readyz = await fetch(`${lenient.httpUrl}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toMatchObject({
      unready: [{ name: 'completed', reason: 'unloaded' }],
    });
    expect((await load(lenient, 'completed')).status).toBe(200);
    expect((await fetch(`${lenient.httpUrl}/readyz`)).status).toBe(200);

    // Under '*' the operator's unload takes a model out of what readiness waits for.
    for (const name of Object.keys(FAILING)) expect((await unload(strict, name)).status).toBe(200);
    expect((await fetch(`${strict.httpUrl}/readyz`)).status).toBe(200);
  });

  it('reports every model of the repository in gateway_model_ready', async () => {
    const metrics = await (
      await fetch(`${lenient.httpUrl}/metrics`, { headers: authHeaders() })
    ).text();
    expect(metrics).toContain('gateway_model_ready{model="nanodet",state="READY"} 1');
    expect(metrics).toContain('gateway_model_ready{model="completed",state="READY"} 1');
    for (const name of Object.keys(FAILING)) {
      expect(metrics).toContain(`gateway_model_ready{model="${name}",state="UNAVAILABLE"} 0`);
    }
  });

  it("completes a config that leaves out its signature from the ONNX file (Triton's auto-complete)", async () => {
    const config = (await (
      await fetch(`${lenient.httpUrl}/v2/models/completed/config`, { headers: authHeaders() })
    ).json()) as {
      max_batch_size: number;
      input: { name: string; data_type: string; dims: number[] }[];
      output: { name: string }[];
      instance_group: { kind: string }[];
    };
    expect(config.max_batch_size).toBe(4);
    expect(config.input).toEqual([
      expect.objectContaining({
        name: 'images',
        data_type: 'TYPE_FP32',
        dims: [3, 416, 416],
      }),
    ]);
    expect(config.output.map((output) => output.name).sort()).toEqual(
      ['cls_s16', 'cls_s32', 'cls_s8', 'reg_s16', 'reg_s32', 'reg_s8'].sort(),
    );
    expect(config.instance_group.map((group) => group.kind)).toEqual(['KIND_CPU']);

    // And it serves: the same answer as nanodet on the same input.
    const input = Array.from(seededFloats(3 * 416 * 416, 5));
    const infer = async (model: string) => {
      const answer = await fetch(`${lenient.httpUrl}/v2/models/${model}/infer`, {
        method: 'POST',
        headers: { ...authHeaders(), 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 416, 416], data: input }],
          outputs: [{ name: 'cls_s32' }],
        }),
      });
      if (answer.status !== 200)
        throw new Error(`${model}: ${answer.status} ${await answer.text()}`);
      return ((await answer.json()) as { outputs: { data: number[] }[] }).outputs[0].data;
    };
    expect(await infer('completed')).toEqual(await infer('nanodet'));
  });
});
