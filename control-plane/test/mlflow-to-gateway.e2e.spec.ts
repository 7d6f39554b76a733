/**
 * The acceptance path of the model lifecycle, with every component real: a training script logs a
 * run to a real MLflow server; the control plane registers it as a version of `nanodet`, points
 * `production` at it and has the gateway's embedded backend load it through the model-repository
 * API; the gateway then serves that version. Lineage and audit tell where it came from and who did
 * what.
 */
import { createHash } from 'node:crypto';
import { cp, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { startGatewayProcess, type GatewayProcess } from '../../gateway/test/gateway-process';
import { sampleImage, TEST_API_KEY } from '../../gateway/test/test-gateway';
import { ControlPlaneProcess } from './support/control-plane-process';
import { postGraphql } from './support/graphql-client';
import {
  logMlflowRun,
  startMlflowServer,
  withoutMlflow,
  type LoggedRun,
  type MlflowServer,
} from './support/mlflow-server';
import {
  auditEvents,
  codeOf,
  NANODET_ONNX,
  registerVersion,
  setAlias,
  type VersionData,
} from './support/registry-client';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';
import { REPOSITORY_ROOT } from './support/typescript-process';

interface ServingChange {
  servedVersions: string[];
  backends: string[];
  modelVersion: { version: string; loadStates: { backend: string; state: string }[] };
}

function changeServing(
  baseUrl: string,
  mutation: 'loadModelVersion' | 'unloadModelVersion',
  version: string,
) {
  return postGraphql<Record<string, ServingChange>>(
    baseUrl,
    `mutation ($input: ModelVersionRefInput!) {
      ${mutation}(input: $input) {
        servedVersions backends modelVersion { version loadStates { backend state } }
      }
    }`,
    { input: { model: 'nanodet', version } },
  );
}

describe('MLflow run → registered version → alias → loaded by the gateway (all real)', () => {
  if (withoutMlflow('registration from MLflow')) return;

  let workDir: string | undefined;
  let repository: string;
  let mlflow: MlflowServer | undefined;
  let gateway: GatewayProcess | undefined;
  let controlPlane: ControlPlaneProcess | undefined;
  let run: LoggedRun;

  const startControlPlane = (backends: string) =>
    ControlPlaneProcess.start({
      MODEL_REPOSITORY: repository,
      CONTROL_PLANE_DATA_DIR: path.join(workDir!, 'control-plane'),
      MLFLOW_TRACKING_URI: mlflow!.uri,
      CONTROL_PLANE_BACKENDS: backends,
      CONTROL_PLANE_BACKEND_API_KEY: TEST_API_KEY,
    });

  beforeAll(async () => {
    workDir = await createTemporaryDirectory('mlflow-to-gateway');
    repository = path.join(workDir, 'models');
    await cp(
      path.join(REPOSITORY_ROOT, 'triton-models/nanodet'),
      path.join(repository, 'nanodet'),
      {
        recursive: true,
        filter: (source) => !source.includes(`${path.sep}conversion`),
      },
    );
    mlflow = await startMlflowServer();
    run = await logMlflowRun(mlflow.uri, {
      onnx: NANODET_ONNX,
      modelName: 'nanodet-mlflow',
      alias: 'champion',
    });
    gateway = await startGatewayProcess({ MODEL_REPOSITORY: repository });
    controlPlane = await startControlPlane(`gateway=${gateway.grpcAddress}`);
  }, 240_000);

  afterAll(async () => {
    await controlPlane?.stop();
    await gateway?.kill();
    await mlflow?.stop();
    await removeDirectory(workDir);
  });

  let registered: VersionData;

  it('registers the run as nanodet version 2 with its lineage: params, metrics, dataset', async () => {
    const response = await registerVersion(controlPlane!.baseUrl, {
      model: 'nanodet',
      source: { mlflow: `runs:/${run.runId}/model` },
    });
    expect(response.body.errors).toBeUndefined();
    registered = response.body.data!.registerModelVersion.modelVersion;
    expect(registered).toMatchObject({ version: '2', status: 'ready', source: 'mlflow' });
    expect(registered.lineage.run).toMatchObject({
      runId: run.runId,
      experimentName: 'nanodet-finetune',
      params: expect.arrayContaining([{ key: 'input_size', value: '416' }]),
      metrics: expect.arrayContaining([{ key: 'mAP', value: 0.25 }]),
    });
    expect(registered.lineage.datasets).toEqual([
      {
        context: 'training',
        dataset: expect.objectContaining({ name: run.dataset.name, digest: run.dataset.digest }),
      },
    ]);
    // The other way round: which versions came from this run.
    const fromRun = await postGraphql<{ mlflowRun: { versions: { version: string }[] } }>(
      controlPlane!.baseUrl,
      `{ mlflowRun(runId: "${run.runId}") { versions { version } } }`,
    );
    expect(fromRun.body.data?.mlflowRun.versions).toEqual([{ version: '2' }]);
  }, 60_000);

  it('registers from models:/<name>@<alias> too', async () => {
    const response = await registerVersion(controlPlane!.baseUrl, {
      model: 'nanodet',
      source: { mlflow: 'models:/nanodet-mlflow@champion' },
      expectedSha256: registered.artifactSha256,
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.registerModelVersion.modelVersion).toMatchObject({
      version: '3',
      lineage: { run: { runId: run.runId } },
    });
  }, 60_000);

  it('refuses a run MLflow does not know with NOT_FOUND, and registers nothing', async () => {
    const response = await registerVersion(controlPlane!.baseUrl, {
      model: 'nanodet',
      source: { mlflow: `runs:/${'0'.repeat(32)}/model` },
    });
    expect(codeOf(response)).toBe('NOT_FOUND');
    const versions = await postGraphql<{ model: { versions: { nodes: unknown[] } } }>(
      controlPlane!.baseUrl,
      '{ model(name: "nanodet") { versions { nodes { version } } } }',
    );
    expect(versions.body.data?.model.versions.nodes).toHaveLength(3);
  });

  it('points production at version 2 and loads it on the gateway, which then serves it', async () => {
    expect(
      (
        await setAlias(controlPlane!.baseUrl, {
          model: 'nanodet',
          alias: 'production',
          version: '2',
        })
      ).body.errors,
    ).toBeUndefined();
    const loaded = await changeServing(controlPlane!.baseUrl, 'loadModelVersion', '2');
    expect(loaded.body.errors).toBeUndefined();
    expect(loaded.body.data?.loadModelVersion).toEqual({
      servedVersions: ['1', '2'],
      backends: ['gateway'],
      modelVersion: { version: '2', loadStates: [{ backend: 'gateway', state: 'READY' }] },
    });
    // The repository holds version 2's bytes, written by rename.
    // Digests, not the buffers: Jest's deep equality over 15 MB takes a minute.
    const sha256 = async (file: string) =>
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
    expect(await sha256(path.join(repository, 'nanodet/2/model.onnx'))).toBe(
      await sha256(NANODET_ONNX),
    );

    const ready = await fetch(`${gateway!.httpUrl}/v2/models/nanodet/versions/2/ready`, {
      headers: { authorization: `Bearer ${TEST_API_KEY}` },
    });
    expect(ready.status).toBe(200);
    const detect = await fetch(`${gateway!.httpUrl}/v1/models/nanodet/versions/2/detect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'image/jpeg' },
      body: sampleImage('messi5.jpg'),
    });
    expect(detect.status).toBe(200);
    const answer = (await detect.json()) as {
      model_version?: string;
      detections: { label: string }[];
    };
    expect(answer.detections.some((detection) => detection.label === 'person')).toBe(true);
  }, 120_000);

  it('unloads version 1: the gateway serves only version 2', async () => {
    const unloaded = await changeServing(controlPlane!.baseUrl, 'unloadModelVersion', '1');
    expect(unloaded.body.errors).toBeUndefined();
    expect(unloaded.body.data?.unloadModelVersion.servedVersions).toEqual(['2']);
    const auth = { headers: { authorization: `Bearer ${TEST_API_KEY}` } };
    expect(
      (await fetch(`${gateway!.httpUrl}/v2/models/nanodet/versions/1/ready`, auth)).status,
    ).not.toBe(200);
    expect(
      (await fetch(`${gateway!.httpUrl}/v2/models/nanodet/versions/2/ready`, auth)).status,
    ).toBe(200);
  }, 120_000);

  it('shows who did each step in the audit', async () => {
    const actions = (await auditEvents(controlPlane!.baseUrl)).map((event) => [
      event.action,
      event.actorSubject,
    ]);
    const by = registered.registeredBy!;
    expect(actions).toEqual(
      expect.arrayContaining([
        ['model-version.register', by],
        ['model-alias.set', by],
        ['model-version.load', by],
        ['model-version.unload', by],
      ]),
    );
  });

  it('changes nothing when a backend cannot be reached: UPSTREAM_UNAVAILABLE', async () => {
    await controlPlane!.stop();
    controlPlane = await startControlPlane(`gateway=${gateway!.grpcAddress},down=127.0.0.1:1`);
    const configBefore = await readFile(path.join(repository, 'nanodet/config.pbtxt'), 'utf8');
    const response = await changeServing(controlPlane.baseUrl, 'loadModelVersion', '3');
    expect(codeOf(response)).toBe('UPSTREAM_UNAVAILABLE');
    expect(response.body.errors?.[0]?.message).toMatch(
      /backend down \(127\.0\.0\.1:1\) cannot be reached/,
    );
    expect(await readFile(path.join(repository, 'nanodet/config.pbtxt'), 'utf8')).toBe(
      configBefore,
    );
    const auth = { headers: { authorization: `Bearer ${TEST_API_KEY}` } };
    expect(
      (await fetch(`${gateway!.httpUrl}/v2/models/nanodet/versions/3/ready`, auth)).status,
    ).not.toBe(200);
    const served = await postGraphql<{
      model: { versions: { nodes: { version: string; served: boolean }[] } };
    }>(
      controlPlane.baseUrl,
      '{ model(name: "nanodet") { versions { nodes { version served } } } }',
    );
    expect(served.body.data?.model.versions.nodes).toEqual([
      { version: '1', served: false },
      { version: '2', served: true },
      { version: '3', served: false },
    ]);
  }, 120_000);
});
