/**
 * The MLflow client against a real MLflow 3.17.2 tracking server, fed by the acceptance script
 * (log-mlflow-run.py: params, metrics, a dataset input, the NanoDet ONNX as an artifact, a
 * registered version with an alias).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { ControlPlaneFailure } from '../src/errors/control-plane-error';
import { MlflowClient } from '../src/lineage/mlflow/mlflow-client';
import {
  freePort,
  logMlflowRun,
  startMlflowServer,
  withoutMlflow,
  type LoggedRun,
  type MlflowServer,
} from './support/mlflow-server';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';

const NANODET_ONNX = path.resolve(__dirname, '../../triton-models/nanodet/1/model.onnx');
const MODEL_NAME = 'nanodet';
const ALIAS = 'champion';
const MISSING_RUN = '0'.repeat(32);

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function failureOf(promise: Promise<unknown>): Promise<ControlPlaneFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ControlPlaneFailure) return error;
    throw error;
  }
  throw new Error('expected a ControlPlaneFailure, got a result');
}

describe('MlflowClient against a real MLflow server', () => {
  if (withoutMlflow('the lineage client')) return;

  let server: MlflowServer;
  let client: MlflowClient;
  let logged: LoggedRun;
  let dir: string;
  let onnxSize: number;

  beforeAll(async () => {
    server = await startMlflowServer();
    client = new MlflowClient({ trackingUri: server.uri, timeoutMs: 10_000 });
    logged = await logMlflowRun(server.uri, {
      onnx: NANODET_ONNX,
      modelName: MODEL_NAME,
      alias: ALIAS,
    });
    onnxSize = (await stat(NANODET_ONNX)).size;
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  beforeEach(async () => {
    dir = await createTemporaryDirectory('mlflow-download');
  });

  afterEach(async () => {
    await removeDirectory(dir);
  });

  it('reads a run: params, latest metrics, tags, the dataset input with its digest', async () => {
    const run = await client.getRun(logged.runId);

    expect(run).toMatchObject({
      runId: logged.runId,
      runName: 'nanodet-416',
      experimentId: logged.experimentId,
      experimentName: 'nanodet-finetune',
      status: 'FINISHED',
    });
    expect(run.params).toEqual({ input_size: '416', epochs: '3', optimizer: 'sgd' });
    // Logged at steps 0..2; the run carries the last one.
    expect(run.metrics).toEqual({ mAP: 0.25, loss: 0.8 });
    expect(run.tags).toMatchObject({ team: 'vision', 'model.family': 'nanodet' });
    expect(run.datasets).toEqual([
      {
        name: logged.dataset.name,
        digest: logged.dataset.digest,
        sourceType: 'http',
        source: expect.stringContaining(
          'https://images.cocodataset.org/zips/val2017.zip',
        ) as string,
        context: 'training',
      },
    ]);
    expect(run.endTime?.getTime()).toBeGreaterThanOrEqual(run.startTime.getTime());
    expect(run.artifactUri).toBe(
      `mlflow-artifacts:/${logged.experimentId}/${logged.runId}/artifacts`,
    );
  });

  it('resolves runs:/, models:/<name>/<version> and models:/<name>@<alias> to the run and path', async () => {
    await expect(client.resolveSource(`runs:/${logged.runId}/model`)).resolves.toEqual({
      runId: logged.runId,
      artifactPath: 'model',
    });

    const byVersion = await client.resolveSource(
      `models:/${MODEL_NAME}/${logged.registeredVersion}`,
    );
    expect(byVersion).toMatchObject({ runId: logged.runId, artifactPath: 'model' });
    // What MLflow 3.17.2 stores for a version created from a run's artifacts: the runs:/ URI itself.
    expect(byVersion.modelVersion).toMatchObject({
      name: MODEL_NAME,
      version: logged.registeredVersion,
      source: `runs:/${logged.runId}/model`,
      runId: logged.runId,
      status: 'READY',
      aliases: [ALIAS],
    });

    const byAlias = await client.resolveSource(`models:/${MODEL_NAME}@${ALIAS}`);
    expect(byAlias).toEqual(byVersion);
  });

  it.each([
    [`models:/${MODEL_NAME}/999`, /has no version "999" of registered model "nanodet"/],
    [`models:/${MODEL_NAME}@nobody`, /has no alias "nobody" of registered model "nanodet"/],
    ['models:/no-such-model/1', /has no version "1" of registered model "no-such-model"/],
    ['models:/no-such-model@champion', /has no alias "champion"/],
  ])('answers NOT_FOUND for %s', async (source, message) => {
    const failure = await failureOf(client.resolveSource(source));
    expect(failure.code).toBe('NOT_FOUND');
    expect(failure.message).toMatch(message);
  });

  it('lists a run artifacts by directory, with file sizes', async () => {
    await expect(client.listArtifacts(logged.runId)).resolves.toEqual([
      { path: 'model', isDir: true },
    ]);
    await expect(client.listArtifacts(logged.runId, 'model')).resolves.toEqual([
      { path: 'model/model.onnx', isDir: false, fileSize: onnxSize },
    ]);
  });

  it('downloads the ONNX byte for byte, from its path or from the model directory', async () => {
    const byFile = path.join(dir, 'by-file.onnx');
    await expect(
      client.downloadArtifact(logged.runId, logged.artifactPath, byFile, { maxBytes: 64 << 20 }),
    ).resolves.toEqual({ artifactPath: 'model/model.onnx', sizeBytes: onnxSize });
    expect(await sha256(byFile)).toBe(await sha256(NANODET_ONNX));

    const byDirectory = path.join(dir, 'by-directory.onnx');
    await expect(
      client.downloadArtifact(logged.runId, 'model', byDirectory, { maxBytes: 64 << 20 }),
    ).resolves.toEqual({ artifactPath: 'model/model.onnx', sizeBytes: onnxSize });
    expect(await sha256(byDirectory)).toBe(await sha256(NANODET_ONNX));
    expect((await readdir(dir)).sort()).toEqual(['by-directory.onnx', 'by-file.onnx']);
  });

  it('refuses an artifact over maxBytes and leaves no file', async () => {
    const destination = path.join(dir, 'model.onnx');
    const failure = await failureOf(
      client.downloadArtifact(logged.runId, 'model', destination, { maxBytes: onnxSize - 1 }),
    );
    expect(failure.code).toBe('BAD_USER_INPUT');
    expect(failure.message).toContain(`is ${onnxSize} bytes, more than the download limit`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('answers NOT_FOUND for a missing run or artifact, leaving no file', async () => {
    const destination = path.join(dir, 'model.onnx');
    const missingRun = await failureOf(client.getRun(MISSING_RUN));
    expect(missingRun.code).toBe('NOT_FOUND');
    expect(missingRun.message).toContain(`has no run "${MISSING_RUN}"`);

    const missingRunDownload = await failureOf(
      client.downloadArtifact(MISSING_RUN, 'model', destination, { maxBytes: 1 << 20 }),
    );
    expect(missingRunDownload.code).toBe('NOT_FOUND');

    const missingArtifact = await failureOf(
      client.downloadArtifact(logged.runId, 'model/nope.onnx', destination, { maxBytes: 1 << 20 }),
    );
    expect(missingArtifact.code).toBe('NOT_FOUND');
    expect(missingArtifact.message).toContain('has no artifact "model/nope.onnx"');
    expect(existsSync(destination)).toBe(false);
  });

  it('refuses traversal before asking MLflow', async () => {
    const failure = await failureOf(
      client.downloadArtifact(logged.runId, '../../mlflow.db', path.join(dir, 'x'), {
        maxBytes: 1 << 20,
      }),
    );
    expect(failure.code).toBe('BAD_USER_INPUT');
    expect(failure.message).toMatch(/leaves the run's artifacts/);
  });

  it('answers UPSTREAM_UNAVAILABLE naming the URI for a closed port, without waiting', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = new MlflowClient({ trackingUri: closed, timeoutMs: 30_000 });
    const started = Date.now();
    const failure = await failureOf(unreachable.getRun(logged.runId));
    expect(failure.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(failure.message).toContain(`cannot reach MLflow at ${closed}`);
    expect(failure.message).toContain('ECONNREFUSED');
    // A refused connection is known at once: far less than the 30 s timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
