import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadModelRepository, type ModelDefinition } from '@model-repository';
import { ControlPlaneProcess } from './support/control-plane-process';
import {
  createFixtureModelRepository,
  type FixtureModelRepository,
} from './support/fixture-model-repository';
import { postGraphql } from './support/graphql-client';
import { TEST_ADMIN_KEY } from './support/test-credentials';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';

const VERSION_FIELDS = `
  id version status source platform backend maxBatchSize labels config
  inputs { name datatype dims }
  outputs { name datatype dims }
  artifactSha256 artifactSizeBytes artifactUri driftedSha256 served createdAt
`;
const MODEL_FIELDS = `
  id name task
  versions { nodes { ${VERSION_FIELDS} } }
  latestVersion { id version }
`;

interface ModelsData {
  models: { nodes: Record<string, unknown>[] };
}

type Versions = { nodes: Record<string, unknown>[] };

describe('control plane, end to end (real process, PGlite)', () => {
  let workDir: string | undefined;
  let fixture: FixtureModelRepository;
  let nanodet: ModelDefinition;
  let app: ControlPlaneProcess | undefined;
  let env: Record<string, string>;

  const startApp = async (): Promise<ControlPlaneProcess> => {
    app = await ControlPlaneProcess.start(env);
    return app;
  };
  const stopApp = async (): Promise<void> => {
    const result = await app?.stop();
    app = undefined;
    // Nest's shutdown hooks close the app, then re-raise the signal.
    expect(result?.signal ?? `exit ${result?.exitCode}`).toBe('SIGTERM');
  };
  const queryModels = async (): Promise<Record<string, unknown>[]> => {
    const response = await postGraphql<ModelsData>(
      app!.baseUrl,
      `{ models { nodes { ${MODEL_FIELDS} } } }`,
    );
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.models.nodes;
  };

  beforeAll(async () => {
    workDir = await createTemporaryDirectory('control-plane-e2e');
    const repository = path.join(workDir, 'models');
    fixture = await createFixtureModelRepository(repository);
    // A model the loader rejects must be logged, not stop the others from registering.
    await mkdir(path.join(repository, 'broken'));
    await writeFile(path.join(repository, 'broken', 'config.pbtxt'), 'max_batch_size: "many"');
    nanodet = (await loadModelRepository(repository)).models[0];
    env = { MODEL_REPOSITORY: repository, CONTROL_PLANE_DATA_DIR: path.join(workDir, 'data') };
    await startApp();
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await removeDirectory(workDir);
  });

  it('registers the model from the repository with its tensors, labels and artifact', async () => {
    const models = await queryModels();
    expect(models).toHaveLength(1);
    const [model] = models;
    const tensors = (specs: ModelDefinition['inputs']): unknown =>
      specs.map(({ name, datatype, dims }) => ({ name, datatype, dims }));
    expect(model).toMatchObject({
      name: 'nanodet',
      task: 'object-detection',
      versions: {
        nodes: [
          {
            version: '1',
            status: 'ready',
            source: 'repository-scan',
            platform: 'onnxruntime_onnx',
            backend: 'onnxruntime',
            maxBatchSize: nanodet.maxBatchSize,
            inputs: tensors(nanodet.inputs),
            outputs: tensors(nanodet.outputs),
            labels: nanodet.labels,
            config: await readFile(path.join(fixture.root, 'nanodet', 'config.pbtxt'), 'utf8'),
            artifactSha256: fixture.artifactSha256,
            artifactSizeBytes: fixture.artifactSizeBytes,
            artifactUri: expect.stringMatching(new RegExp(`^file://.*/${fixture.artifactSha256}$`)),
            driftedSha256: null,
            served: true,
          },
        ],
      },
    });
    const [version] = (model.versions as Versions).nodes;
    expect(model.latestVersion).toEqual({ id: version.id, version: '1' });
    expect((version.labels as string[])[0]).toBe('person');
  });

  it('returns one model by name, and null for an unknown name', async () => {
    const query = `query ($name: String!) { model(name: $name) { name versions { nodes { version } } } }`;
    const known = await postGraphql(app!.baseUrl, query, { name: 'nanodet' });
    expect(known.body).toEqual({
      data: { model: { name: 'nanodet', versions: { nodes: [{ version: '1' }] } } },
    });
    const unknown = await postGraphql(app!.baseUrl, query, { name: 'no-such-model' });
    expect(unknown).toEqual({ status: 200, body: { data: { model: null } } });
  });

  it.each([
    ['a syntax error', '{ models { id '],
    ['an unknown field', '{ models { weights } }'],
    ['a missing argument', '{ model { id } }'],
    ['a wrongly typed argument', '{ model(name: 5) { id } }'],
  ])('answers %s with a GraphQL error, not a 500', async (_, query) => {
    const response = await postGraphql(app!.baseUrl, query);
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.message).toEqual(expect.any(String));
  });

  it('answers malformed requests with 4xx errors', async () => {
    const authorization = `Bearer ${TEST_ADMIN_KEY}`;
    const notJson = await fetch(`${app!.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: '{"query": ',
    });
    expect(notJson.status).toBe(400);
    const wrongVariable = await postGraphql(
      app!.baseUrl,
      'query ($name: String!) { model(name: $name) { id } }',
      { name: 42 },
    );
    expect(wrongVariable.status).toBe(400);
    // GraphQL is POST-only (a GET could be sent cross-site, and would log queries in URLs).
    const overGet = await fetch(`${app!.baseUrl}/graphql`, { headers: { authorization } });
    expect(overGet.status).toBe(405);
    expect((await fetch(`${app!.baseUrl}/healthz`)).status).toBe(200);
  });

  it('answers introspection outside production (the schema for GraphiQL and codegen)', async () => {
    const response = await postGraphql(app!.baseUrl, '{ __schema { queryType { name } } }');
    expect(response).toEqual({
      status: 200,
      body: { data: { __schema: { queryType: { name: 'Query' } } } },
    });
  });

  it('serves health and Prometheus metrics, including request durations', async () => {
    const health = await fetch(`${app!.baseUrl}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', database: 'reachable' });
    const metrics = await (await fetch(`${app!.baseUrl}/metrics`)).text();
    expect(metrics).toContain('process_cpu_user_seconds_total');
    expect(metrics).toMatch(
      /control_plane_http_request_duration_seconds_count\{method="POST",route="\/graphql",status_code="200"\} \d+/,
    );
  });

  it('logs the model the repository loader rejected', () => {
    expect(app!.output).toMatch(/Model repository .*: broken: /);
  });

  it('keeps its data across a restart without duplicating it', async () => {
    const before = await queryModels();
    await stopApp();
    await startApp();
    expect(await queryModels()).toEqual(before);
    expect(app!.output).toContain(
      'created 0 model(s) and 0 version(s), updated 0 version(s), 0 drifted',
    );
  }, 120_000);

  it('never rewrites a version whose artifact changed in place: it is marked as drifted', async () => {
    const [before] = await queryModels();
    await stopApp();
    const newSha256 = await fixture.replaceArtifact('retrained placeholder bytes');
    await startApp();
    const [after] = await queryModels();
    const [version] = (after.versions as Versions).nodes;
    const [original] = (before.versions as Versions).nodes;
    expect(version).toEqual({ ...original, driftedSha256: newSha256 });
    expect(app!.output).toContain(
      `artifact changed in place (registered sha256 ${fixture.artifactSha256}, repository now ${newSha256})`,
    );
  }, 120_000);

  it('adds a new version as the latest and follows the version policy for served', async () => {
    await stopApp();
    // nanodet's policy serves only the latest version.
    await mkdir(path.join(fixture.root, 'nanodet', '2'));
    await writeFile(path.join(fixture.root, 'nanodet', '2', 'model.onnx'), 'version two');
    await startApp();
    const [model] = await queryModels();
    expect((model.versions as Versions).nodes).toMatchObject([
      { version: '1', served: false },
      { version: '2', served: true, artifactSizeBytes: Buffer.byteLength('version two') },
    ]);
    expect(model.latestVersion).toMatchObject({ version: '2' });
    await stopApp();
  }, 120_000);
});
