/**
 * The control plane driving a real NVIDIA Triton (--model-control-mode=explicit) through the
 * model-repository extension, with both looking at ONE folder: Triton serves the repository in
 * place (ONNX models on a Python-based `onnxruntime` backend, see start-triton.sh --in-place), so
 * the version folders and config.pbtxt the control plane writes are exactly what Triton loads. A
 * gateway in front of the same Triton shows what clients see after each change.
 *
 * CONTROL_PLANE_BACKENDS names Triton only. Naming the gateway as well would be redundant: the
 * gateway forwards every load/unload to the same Triton, so Triton would be asked twice. Naming
 * only Triton is the production shape this spec is about (the control plane talks to the Triton
 * fleet); the gateway then learns of a change on its own discovery, which is part of what is tested.
 */
import { createHash } from 'node:crypto';
import { cp, readFile, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { NANODET_INPUT_SIZE, nanodetBinaryInferBody } from '../../gateway/test/nanodet-reference';
import {
  authHeaders,
  sampleImage,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from '../../gateway/test/test-gateway';
import { until } from '../../gateway/test/wait-until';
import {
  startTritonServer,
  tritonHttp,
  withoutTriton,
  type RunningTriton,
} from '../../gateway/test/interop/triton-server';
import { ControlPlaneProcess } from './support/control-plane-process';
import { postGraphql, type GraphqlResponse } from './support/graphql-client';
import {
  codeOf,
  readNanodetOnnx,
  registerVersion,
  setAlias,
  uploadArtifact,
} from './support/registry-client';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';
import { REPOSITORY_ROOT } from './support/typescript-process';

interface LoadState {
  backend: string;
  state: string;
  reason: string | null;
}

interface ServingChange {
  servedVersions: string[];
  backends: string[];
  modelVersion: { version: string; loadStates: LoadState[] };
}

interface TritonIndexEntry {
  name: string;
  version?: string;
  state?: string;
  reason?: string;
}

/**
 * The gateway rediscovers Triton's models every max(10 s, 5 health intervals) and at once when a
 * model's readiness changes; a version added to or removed from a model that stays ready is seen
 * on the next rediscovery, so waits for the gateway are bounded well above that period.
 */
const GATEWAY_DISCOVERY_BOUND_MS = 30_000;

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function changeServing(
  baseUrl: string,
  mutation: 'loadModelVersion' | 'unloadModelVersion',
  version: string,
): Promise<GraphqlResponse<Record<string, ServingChange>>> {
  return postGraphql<Record<string, ServingChange>>(
    baseUrl,
    `mutation ($input: ModelVersionRefInput!) {
      ${mutation}(input: $input) {
        servedVersions backends modelVersion { version loadStates { backend state reason } }
      }
    }`,
    { input: { model: 'nanodet', version } },
  );
}

async function registryVersions(
  baseUrl: string,
): Promise<{ version: string; served: boolean; loadStates: LoadState[] }[]> {
  const response = await postGraphql<{
    model: { versions: { nodes: { version: string; served: boolean; loadStates: LoadState[] }[] } };
  }>(
    baseUrl,
    '{ model(name: "nanodet") { versions { nodes { version served loadStates { backend state reason } } } } }',
  );
  if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
  return response.body.data!.model.versions.nodes;
}

/** Triton's own word, over its HTTP API: nanodet's versions with their state. */
async function tritonIndex(triton: RunningTriton): Promise<TritonIndexEntry[]> {
  const answer = await tritonHttp(`http://${triton.httpAddress}/v2/repository/index`, {
    method: 'POST',
  });
  if (answer.status !== 200) throw new Error(`Triton index answered ${answer.status}`);
  return (JSON.parse(answer.body.toString()) as TritonIndexEntry[]).filter(
    (entry) => entry.name === 'nanodet',
  );
}

/** The versions the gateway lists for nanodet, or the HTTP status when it lists none. */
async function gatewayVersions(gateway: TestGateway): Promise<string[] | number> {
  const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet`, { headers: authHeaders() });
  if (response.status !== 200) {
    await response.arrayBuffer();
    return response.status;
  }
  return ((await response.json()) as { versions: string[] }).versions;
}

async function infer(
  gateway: TestGateway,
  version: string,
): Promise<{ status: number; body: Buffer }> {
  const { body, headers } = nanodetBinaryInferBody(seededFloats(NANODET_INPUT_SIZE, 7), 1);
  const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet/versions/${version}/infer`, {
    method: 'POST',
    headers: { ...authHeaders(), ...headers },
    body,
  });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

describe('control plane → real Triton (explicit mode) on the repository it writes, gateway in front', () => {
  if (withoutTriton('the control-plane Triton lifecycle interop spec')) return;

  let workDir: string | undefined;
  let repository: string;
  let triton: RunningTriton | undefined;
  let gateway: TestGateway | undefined;
  let controlPlane: ControlPlaneProcess | undefined;
  const configPath = () => path.join(repository, 'nanodet/config.pbtxt');

  beforeAll(async () => {
    workDir = await createTemporaryDirectory('triton-lifecycle');
    repository = path.join(workDir, 'models');
    await cp(
      path.join(REPOSITORY_ROOT, 'triton-models/nanodet'),
      path.join(repository, 'nanodet'),
      { recursive: true, filter: (source) => !source.includes(`${path.sep}conversion`) },
    );
    triton = await startTritonServer({
      repository,
      modelControlMode: 'explicit',
      inPlace: true,
      readyTimeoutMs: 90_000,
    });
    [gateway, controlPlane] = await Promise.all([
      startTestGateway({
        TRITON_GRPC_URLS: triton.grpcAddress,
        // Labels are read from here; the same folder Triton serves.
        MODEL_REPOSITORY: repository,
        TRITON_TIMEOUT_MS: '30000',
        // The shortest health interval keeps rediscovery at its floor (10 s).
        TRITON_HEALTH_INTERVAL_MS: '500',
      }),
      ControlPlaneProcess.start({
        MODEL_REPOSITORY: repository,
        CONTROL_PLANE_DATA_DIR: path.join(workDir, 'control-plane'),
        // Triton takes no credential, so no CONTROL_PLANE_BACKEND_API_KEY.
        CONTROL_PLANE_BACKENDS: `triton=${triton.grpcAddress}`,
      }),
    ]);
    await until(
      async () => Array.isArray(await gatewayVersions(gateway!)),
      'the gateway serves nanodet from Triton',
      GATEWAY_DISCOVERY_BOUND_MS,
    );
  }, 180_000);

  afterAll(async () => {
    await controlPlane?.stop();
    await gateway?.close();
    await triton?.stop();
    await removeDirectory(workDir);
  });

  it('registers the real NanoDet ONNX as version 2 from an upload and points production at it', async () => {
    const uploadId = await uploadArtifact(controlPlane!.baseUrl, await readNanodetOnnx());
    const registered = await registerVersion(controlPlane!.baseUrl, {
      model: 'nanodet',
      source: { uploadId },
    });
    expect(registered.body.errors).toBeUndefined();
    expect(registered.body.data?.registerModelVersion.modelVersion).toMatchObject({
      version: '2',
      status: 'ready',
      source: 'upload',
    });
    const alias = await setAlias(controlPlane!.baseUrl, {
      model: 'nanodet',
      alias: 'production',
      version: '2',
    });
    expect(alias.body.errors).toBeUndefined();
    expect(alias.body.data?.setModelAlias.alias).toEqual({
      alias: 'production',
      version: { version: '2' },
    });
    // Version 1 came from the repository scan and is what Triton loaded at start.
    expect(await registryVersions(controlPlane!.baseUrl)).toEqual([
      {
        version: '1',
        served: true,
        loadStates: [{ backend: 'triton', state: 'READY', reason: null }],
      },
      {
        version: '2',
        served: false,
        loadStates: [{ backend: 'triton', state: 'UNAVAILABLE', reason: 'not loaded' }],
      },
    ]);
  }, 120_000);

  it('loads version 2: Triton lists it READY, loadStates agree, the gateway serves it', async () => {
    const loaded = await changeServing(controlPlane!.baseUrl, 'loadModelVersion', '2');
    expect(loaded.body.errors).toBeUndefined();
    expect(loaded.body.data?.loadModelVersion).toEqual({
      servedVersions: ['1', '2'],
      backends: ['triton'],
      modelVersion: {
        version: '2',
        loadStates: [{ backend: 'triton', state: 'READY', reason: null }],
      },
    });
    // What Triton loaded is what the control plane wrote into the folder it serves.
    // Compared by digest: Jest's toEqual walks a 15 MB Buffer byte by byte for over a minute.
    expect(sha256(await readFile(path.join(repository, 'nanodet/2/model.onnx')))).toBe(
      sha256(await readNanodetOnnx()),
    );
    expect(await readFile(configPath(), 'utf8')).toMatch(/specific/);
    expect(await tritonIndex(triton!)).toEqual(
      expect.arrayContaining([
        { name: 'nanodet', version: '1', state: 'READY' },
        { name: 'nanodet', version: '2', state: 'READY' },
      ]),
    );

    // The load went straight to Triton: the gateway learns of version 2 on its next discovery.
    await until(
      async () => {
        const versions = await gatewayVersions(gateway!);
        return Array.isArray(versions) && versions.includes('2');
      },
      'the gateway lists nanodet version 2',
      GATEWAY_DISCOVERY_BOUND_MS,
    );
    expect((await infer(gateway!, '2')).status).toBe(200);
    const detect = await fetch(`${gateway!.httpUrl}/v1/models/nanodet/versions/2/detect`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
      body: sampleImage('messi5.jpg'),
    });
    expect(detect.status).toBe(200);
    const answer = (await detect.json()) as { detections: { label: string }[] };
    expect(answer.detections.some((detection) => detection.label === 'person')).toBe(true);
  }, 120_000);

  it('unloads version 1, then version 2: Triton reports them unavailable, the gateway answers not found', async () => {
    const first = await changeServing(controlPlane!.baseUrl, 'unloadModelVersion', '1');
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data?.unloadModelVersion.servedVersions).toEqual(['2']);
    // Triton unloads in the background (UNLOADING, then UNAVAILABLE); version 2 serves throughout.
    await until(async () => {
      const index = await tritonIndex(triton!);
      return index.some((entry) => entry.version === '1' && entry.state === 'UNAVAILABLE');
    }, 'Triton reports nanodet version 1 unavailable');
    expect(await tritonIndex(triton!)).toContainEqual({
      name: 'nanodet',
      version: '2',
      state: 'READY',
    });
    await until(
      async () => JSON.stringify(await gatewayVersions(gateway!)) === '["2"]',
      'the gateway lists only nanodet version 2',
      GATEWAY_DISCOVERY_BOUND_MS,
    );
    expect((await infer(gateway!, '1')).status).toBe(404);
    expect((await infer(gateway!, '2')).status).toBe(200);

    const second = await changeServing(controlPlane!.baseUrl, 'unloadModelVersion', '2');
    expect(second.body.errors).toBeUndefined();
    expect(second.body.data?.unloadModelVersion).toMatchObject({
      servedVersions: [],
      backends: ['triton'],
    });
    await until(async () => {
      const index = await tritonIndex(triton!);
      return index.length > 0 && index.every((entry) => entry.state === 'UNAVAILABLE');
    }, 'Triton reports every nanodet version unavailable');
    await until(
      async () => (await gatewayVersions(gateway!)) === 404,
      'the gateway no longer knows nanodet',
      GATEWAY_DISCOVERY_BOUND_MS,
    );
    const refused = await infer(gateway!, '2');
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.body.toString())).toEqual({
      error: expect.stringContaining('nanodet'),
    });
    expect(
      (await registryVersions(controlPlane!.baseUrl)).map(({ version, served, loadStates }) => ({
        version,
        served,
        states: loadStates.map((state) => state.state),
      })),
    ).toEqual([
      { version: '1', served: false, states: ['UNAVAILABLE'] },
      { version: '2', served: false, states: ['UNAVAILABLE'] },
    ]);
  }, 120_000);

  it("a version Triton cannot load: UPSTREAM_ERROR with Triton's reason, config.pbtxt as it was", async () => {
    // Valid for the registry (a GPU instance group is what production runs), refused by this
    // CPU-only Triton when it loads the model.
    const gpuConfig = (
      await readFile(path.join(REPOSITORY_ROOT, 'triton-models/nanodet/config.pbtxt'), 'utf8')
    ).replace('kind: KIND_CPU', 'kind: KIND_GPU');
    expect(gpuConfig).toContain('KIND_GPU');
    const uploadId = await uploadArtifact(controlPlane!.baseUrl, await readNanodetOnnx());
    const registered = await registerVersion(controlPlane!.baseUrl, {
      model: 'nanodet',
      source: { uploadId },
      config: gpuConfig,
      // A config of its own comes with its own labels.
      labels: (await readFile(path.join(repository, 'nanodet/labels.txt'), 'utf8'))
        .split('\n')
        .filter((line) => line !== ''),
    });
    expect(registered.body.errors).toBeUndefined();
    expect(registered.body.data?.registerModelVersion.modelVersion.version).toBe('3');

    const configBefore = await readFile(configPath(), 'utf8');
    const failed = await changeServing(controlPlane!.baseUrl, 'loadModelVersion', '3');
    expect(codeOf(failed)).toBe('UPSTREAM_ERROR');
    expect(failed.body.errors?.[0]?.message).toMatch(
      /load of nanodet version 3 failed on 1 of 1 backend\(s\), nothing changed: backend triton \(127\.0\.0\.1:\d+\) refused repositoryModelLoad: .*gpu/i,
    );
    expect(await readFile(configPath(), 'utf8')).toBe(configBefore);
    // No temporary file is left beside it.
    expect(
      (await readdir(path.join(repository, 'nanodet'))).filter((name) => name.startsWith('.')),
    ).toEqual([]);
    expect((await tritonIndex(triton!)).filter((entry) => entry.state === 'READY')).toEqual([]);
    expect((await registryVersions(controlPlane!.baseUrl)).map((row) => row.served)).toEqual([
      false,
      false,
      false,
    ]);
    // Nothing of nanodet serves. A failed load of a version while none was loaded leaves a failure
    // record in Triton that turns its server readiness (strict, the default) false until that
    // version loads; so once its next health check has run the gateway answers 503 (no ready
    // Triton) rather than 404. Both are typed refusals.
    const refused = await infer(gateway!, '3');
    expect([404, 503]).toContain(refused.status);
    expect(JSON.parse(refused.body.toString())).toEqual({ error: expect.any(String) });
  }, 120_000);
});
