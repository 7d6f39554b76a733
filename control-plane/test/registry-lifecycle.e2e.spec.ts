import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { SignJWT } from 'jose';
import { ControlPlaneProcess } from './support/control-plane-process';
import { createFixtureModelRepository } from './support/fixture-model-repository';
import { postGraphql } from './support/graphql-client';
import {
  auditEvents,
  codeOf,
  readNanodetOnnx,
  registerVersion,
  setAlias,
  uploadArtifact,
} from './support/registry-client';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';

const JWT_SECRET = 'registry-lifecycle-test-secret-of-32-bytes!';
const JWT_ISSUER = 'https://issuer.test';
const JWT_AUDIENCE = 'control-plane';

async function viewerToken(): Promise<string> {
  return new SignJWT({ scope: 'viewer', tenant: 'team-a' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('viewer-1')
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setExpirationTime('10m')
    .sign(Buffer.from(JWT_SECRET));
}

async function countFiles(directory: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) count += 1;
  }
  return count;
}

describe('model lifecycle through GraphQL (real process, PGlite, uploads)', () => {
  let workDir: string | undefined;
  let dataDir: string;
  let app: ControlPlaneProcess | undefined;
  let onnx: Buffer;
  let onnxSha256: string;

  beforeAll(async () => {
    workDir = await createTemporaryDirectory('registry-lifecycle');
    const repository = path.join(workDir, 'models');
    await createFixtureModelRepository(repository);
    dataDir = path.join(workDir, 'data');
    onnx = await readNanodetOnnx();
    onnxSha256 = createHash('sha256').update(onnx).digest('hex');
    app = await ControlPlaneProcess.start({
      MODEL_REPOSITORY: repository,
      CONTROL_PLANE_DATA_DIR: dataDir,
      CONTROL_PLANE_JWT_HS256_SECRET: JWT_SECRET,
      CONTROL_PLANE_JWT_ISSUER: JWT_ISSUER,
      CONTROL_PLANE_JWT_AUDIENCE: JWT_AUDIENCE,
    });
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await removeDirectory(workDir);
  });

  let version2Id: string;

  it('registers an uploaded ONNX as the next version, keeps the latest config and labels, validates it', async () => {
    const uploadId = await uploadArtifact(app!.baseUrl, onnx);
    const response = await registerVersion(app!.baseUrl, {
      model: 'nanodet',
      source: { uploadId },
      expectedSha256: onnxSha256,
      description: 'the real NanoDet-m',
      modelCard: '# NanoDet-m\nCOCO-80.',
      tags: [{ key: 'stage', value: 'candidate' }],
      codeRevision: 'abc123',
    });
    expect(response.body.errors).toBeUndefined();
    const version = response.body.data!.registerModelVersion.modelVersion;
    const original = await readFile(path.join(workDir!, 'models/nanodet/config.pbtxt'), 'utf8');
    expect(version).toMatchObject({
      version: '2',
      status: 'ready',
      statusReason: null,
      source: 'upload',
      artifactSha256: onnxSha256,
      config: original,
      registeredBy: expect.stringMatching(/^key:/),
      description: 'the real NanoDet-m',
      tags: [{ key: 'stage', value: 'candidate' }],
      lineage: { codeRevision: 'abc123', parent: null, run: null, datasets: [] },
    });
    expect(version.labels).toHaveLength(80);
    version2Id = version.id;
    // The artifact store holds the bytes under their digest.
    const stored = path.join(dataDir, 'artifacts/sha256', onnxSha256.slice(0, 2), onnxSha256);
    expect(
      createHash('sha256')
        .update(await readFile(stored))
        .digest('hex'),
    ).toBe(onnxSha256);

    const audit = await auditEvents(app!.baseUrl, { subjectId: version2Id });
    expect(audit.map((event) => event.action)).toEqual([
      'model-version.ready',
      'model-version.validating',
      'model-version.register',
    ]);
    expect(new Set(audit.map((event) => event.actorSubject))).toEqual(
      new Set([version.registeredBy]),
    );
  });

  it('points an alias at a version in one audited write, and finds the version by alias', async () => {
    const first = await setAlias(app!.baseUrl, {
      model: 'nanodet',
      alias: 'production',
      version: '1',
    });
    expect(first.body.data?.setModelAlias).toEqual({
      alias: { alias: 'production', version: { version: '1' } },
      previousVersionId: null,
    });
    const moved = await setAlias(app!.baseUrl, {
      model: 'nanodet',
      alias: 'production',
      version: '2',
    });
    expect(moved.body.data?.setModelAlias.alias.version.version).toBe('2');
    const byAlias = await postGraphql<{ modelVersion: { id: string; aliases: string[] } }>(
      app!.baseUrl,
      '{ modelVersion(model: "nanodet", alias: "production") { id aliases } }',
    );
    expect(byAlias.body.data?.modelVersion).toEqual({ id: version2Id, aliases: ['production'] });
    const audit = await auditEvents(app!.baseUrl, { subjectType: 'model-alias' });
    expect(audit.map((event) => [event.action, event.subjectId])).toEqual([
      ['model-alias.set', 'nanodet@production'],
      ['model-alias.set', 'nanodet@production'],
    ]);
    expect(JSON.parse(audit[0].after!)).toMatchObject({ version: '2' });
    expect(JSON.parse(audit[0].before!)).toHaveProperty('versionId');
    expect(audit[1].before).toBeNull();

    const reserved = await setAlias(app!.baseUrl, {
      model: 'nanodet',
      alias: 'latest',
      version: '2',
    });
    expect(codeOf(reserved)).toBe('BAD_USER_INPUT');
  });

  it.each([
    [
      'bytes that are not ONNX',
      Buffer.from('definitely not an onnx graph'),
      {},
      /not a model ONNX Runtime can load/,
    ],
    [
      'a wrong sha256',
      undefined,
      { expectedSha256: '0'.repeat(64) },
      /sha256 is [0-9a-f]{64}, not the expected 0{64}/,
    ],
    [
      'I/O that does not match the config',
      undefined,
      {
        config:
          'name: "nanodet"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\ninput [{ name: "images" data_type: TYPE_FP32 dims: [3, 320, 320] }]\noutput [{ name: "cls_s8" data_type: TYPE_FP32 dims: [2704, 80] }]',
      },
      /input "images": the config has dims \[3, 320, 320\], the ONNX file \[3, 416, 416\]/,
    ],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_, bytes, extra, message) => {
    const versionsBefore = await versionNumbers();
    const auditBefore = (await auditEvents(app!.baseUrl)).length;
    const storedBefore = await countFiles(path.join(dataDir, 'artifacts'));
    const uploadId = await uploadArtifact(app!.baseUrl, bytes ?? onnx);
    const response = await registerVersion(app!.baseUrl, {
      model: 'nanodet',
      source: { uploadId },
      ...extra,
    });
    expect(codeOf(response)).toBe('BAD_USER_INPUT');
    expect(response.body.errors?.[0]?.message).toMatch(message);
    expect(await versionNumbers()).toEqual(versionsBefore);
    expect((await auditEvents(app!.baseUrl)).length).toBe(auditBefore);
    expect(await countFiles(path.join(dataDir, 'artifacts'))).toBe(storedBefore);
  });

  it('refuses mutations without a credential (401 UNAUTHENTICATED) and from a viewer (FORBIDDEN)', async () => {
    const input = { model: 'nanodet', alias: 'candidate', version: '2' };
    const anonymous = await setAlias(app!.baseUrl, input, { credential: null });
    expect(anonymous.status).toBe(401);
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
    const viewer = await viewerToken();
    const refused = await setAlias(app!.baseUrl, input, { credential: viewer });
    expect(codeOf(refused)).toBe('FORBIDDEN');
    expect(refused.body.errors?.[0]?.message).toMatch(/operator/);
    // A viewer reads.
    const read = await postGraphql(app!.baseUrl, '{ model(name: "nanodet") { name } }', undefined, {
      credential: viewer,
    });
    expect(read.body).toEqual({ data: { model: { name: 'nanodet' } } });
    expect((await auditEvents(app!.baseUrl, { subjectId: 'nanodet@candidate' })).length).toBe(0);
  });

  it('numbers concurrent registrations of one model without gaps or duplicates', async () => {
    const uploads = await Promise.all([0, 1, 2].map(() => uploadArtifact(app!.baseUrl, onnx)));
    const responses = await Promise.all(
      uploads.map((uploadId) =>
        registerVersion(app!.baseUrl, { model: 'nanodet', source: { uploadId } }),
      ),
    );
    for (const response of responses) expect(response.body.errors).toBeUndefined();
    const numbers = responses
      .map((r) => r.body.data!.registerModelVersion.modelVersion.version)
      .sort();
    expect(numbers).toEqual(['3', '4', '5']);
  }, 120_000);

  it('records lineage both ways: parent and children, dataset and the versions trained on it', async () => {
    const uploadId = await uploadArtifact(app!.baseUrl, onnx);
    const response = await registerVersion(app!.baseUrl, {
      model: 'nanodet',
      source: { uploadId },
      parent: { version: '2', relation: 'converted' },
      dataset: { name: 'coco-val2017', digest: 'sha256:1234', source: 's3://datasets/coco' },
    });
    expect(response.body.errors).toBeUndefined();
    const child = response.body.data!.registerModelVersion.modelVersion;
    expect(child.lineage).toMatchObject({
      parentRelation: 'converted',
      parent: { version: '2' },
      datasets: [{ context: 'training', dataset: { name: 'coco-val2017', digest: 'sha256:1234' } }],
    });
    const parent = await postGraphql<{
      modelVersion: { lineage: { children: { version: string }[] } };
    }>(
      app!.baseUrl,
      '{ modelVersion(model: "nanodet", version: "2") { lineage { children { version } } } }',
    );
    expect(parent.body.data?.modelVersion.lineage.children).toEqual([{ version: child.version }]);
    const dataset = await postGraphql<{
      datasets: { digest: string; versions: { version: string }[] }[];
    }>(app!.baseUrl, '{ datasets(name: "coco-val2017") { digest versions { version } } }');
    expect(dataset.body.data?.datasets).toEqual([
      { digest: 'sha256:1234', versions: [{ version: child.version }] },
    ]);
  });

  it('changes the card of a version, and archives only versions no alias points at', async () => {
    const card = await postGraphql<{
      updateModelCard: { modelVersion: { modelCard: string; artifactSha256: string } };
    }>(
      app!.baseUrl,
      'mutation { updateModelCard(input: { model: "nanodet", version: "2", modelCard: "# v2\\nmeasured" }) { modelVersion { modelCard artifactSha256 } } }',
    );
    expect(card.body.data?.updateModelCard.modelVersion).toEqual({
      modelCard: '# v2\nmeasured',
      artifactSha256: onnxSha256,
    });
    const aliased = await postGraphql(
      app!.baseUrl,
      'mutation { archiveModelVersion(input: { model: "nanodet", version: "2" }) { modelVersion { status } } }',
    );
    expect(codeOf(aliased)).toBe('CONFLICT');
    expect(aliased.body.errors?.[0]?.message).toMatch(/aliased as production/);
    const archived = await postGraphql<{
      archiveModelVersion: { modelVersion: { status: string } };
    }>(
      app!.baseUrl,
      'mutation { archiveModelVersion(input: { model: "nanodet", version: "3" }) { modelVersion { status } } }',
    );
    expect(archived.body.data?.archiveModelVersion.modelVersion.status).toBe('archived');
    const alias = await setAlias(app!.baseUrl, { model: 'nanodet', alias: 'old', version: '3' });
    expect(codeOf(alias)).toBe('CONFLICT');
  });

  it("takes a config that leaves out the signature (Triton's auto-complete), checked completed and stored as written", async () => {
    const config = 'name: "completed"\nplatform: "onnxruntime_onnx"\n';
    const uploadId = await uploadArtifact(app!.baseUrl, onnx);
    const response = await registerVersion(app!.baseUrl, {
      model: 'completed',
      source: { uploadId },
      config,
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.registerModelVersion.modelVersion.config).toBe(config);
    const read = await postGraphql<{
      modelVersion: {
        maxBatchSize: number;
        inputs: { name: string; datatype: string; dims: number[] }[];
        outputs: { name: string }[];
      };
    }>(
      app!.baseUrl,
      '{ modelVersion(model: "completed", version: "1") { maxBatchSize inputs { name datatype dims } outputs { name } } }',
    );
    expect(read.body.data?.modelVersion).toEqual({
      maxBatchSize: 4,
      inputs: [{ name: 'images', datatype: 'FP32', dims: [3, 416, 416] }],
      outputs: ['cls_s8', 'cls_s16', 'cls_s32', 'reg_s8', 'reg_s16', 'reg_s32'].map((name) => ({
        name,
      })),
    });
  });

  async function versionNumbers(): Promise<string[]> {
    const response = await postGraphql<{ model: { versions: { nodes: { version: string }[] } } }>(
      app!.baseUrl,
      '{ model(name: "nanodet") { versions(first: 100) { nodes { version } } } }',
    );
    return response.body.data!.model.versions.nodes.map((node) => node.version);
  }
});
