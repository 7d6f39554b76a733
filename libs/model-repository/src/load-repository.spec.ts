import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  makeDirectories,
  onnxConfig,
  removeFixture,
  writeFixture,
} from '../test/fixture-repository';
import { loadModelRepository } from './load-repository';
import type { ModelDefinition, ModelRepositorySnapshot } from './model-definition';

const sha256 = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('hex');

describe('loadModelRepository on a repository with good and bad models', () => {
  let root: string | undefined;
  let snapshot: ModelRepositorySnapshot;
  const model = (name: string): ModelDefinition => {
    const found = snapshot.models.find((candidate) => candidate.name === name);
    if (!found)
      throw new Error(`model ${name} not loaded; errors: ${JSON.stringify(snapshot.errors)}`);
    return found;
  };
  const errorOf = (name: string): string =>
    snapshot.errors.find((error) => error.model === name)?.message ?? '';

  beforeAll(async () => {
    root = await writeFixture({
      // Good: three versions, two served, labels, dynamic batching, a stray directory.
      'detector/config.pbtxt': onnxConfig(
        'detector',
        `version_policy: { latest: { num_versions: 2 } }
        output [ { name: "classes" data_type: TYPE_INT64 dims: [ -1 ] label_filename: "labels.txt" } ]
        dynamic_batching { preferred_batch_size: [ 2, 4 ] max_queue_delay_microseconds: 500 }`,
      ),
      'detector/labels.txt': 'person\nbicycle\r\ncar\n',
      'detector/1/model.onnx': 'version one',
      'detector/2/model.onnx': 'version two',
      'detector/10/model.onnx': 'version ten',
      'detector/backup/model.onnx': 'not a version',
      'detector/01/model.onnx': 'leading zero',
      'detector/warmup/sample.bin': 'warmup data',
      // Good: empty name and no platform (detected from model.onnx), custom file name, specific policy.
      'unnamed/config.pbtxt': `default_model_filename: "net.onnx"
        version_policy { specific { versions: [ 1, 3 ] } }
        input [ { name: "x" data_type: TYPE_UINT8 dims: [ 4 ] } ]
        output [ { name: "y" data_type: TYPE_STRING dims: [ 1 ] } ]`,
      'unnamed/1/net.onnx': 'net',
      'unnamed/2/net.onnx': 'net 2',
      // Listed, but for Triton only; the unserved version lacks its file.
      'trt/config.pbtxt': onnxConfig('trt').replace('onnxruntime_onnx', 'tensorrt_plan'),
      'trt/1/other.txt': 'no plan here',
      'trt/2/model.plan': 'plan',
      'pipeline/config.pbtxt': onnxConfig(
        'pipeline',
        'ensemble_scheduling { step [ { model_name: "detector" } ] }',
      ).replace('onnxruntime_onnx', 'ensemble'),
      // Bad ones.
      'syntax/config.pbtxt':
        'name: "syntax"\ninput [\n  { name: "x" data_type: TYPE_FP32 dims: [ 1 ] ]\n',
      'syntax/1/model.onnx': 'x',
      'unknown-field/config.pbtxt': onnxConfig('unknown-field', 'max_batch: 3'),
      'unknown-field/1/model.onnx': 'x',
      'bad-enum/config.pbtxt': onnxConfig('bad-enum').replace('TYPE_FP32', 'TYPE_FLOAT'),
      'bad-enum/1/model.onnx': 'x',
      'no-model-file/config.pbtxt': onnxConfig('no-model-file'),
      'no-model-file/1/model.onnx': 'old',
      'no-model-file/2/weights.bin': 'the latest version has no model.onnx',
      'renamed/config.pbtxt': onnxConfig('original-name'),
      'renamed/1/model.onnx': 'x',
      'no-config/1/model.onnx': 'x',
      'only-junk-versions/config.pbtxt': onnxConfig('only-junk-versions'),
      'only-junk-versions/v1/model.onnx': 'x',
      'specific-missing/config.pbtxt': onnxConfig(
        'specific-missing',
        'version_policy { specific { versions: [ 7 ] } }',
      ),
      'specific-missing/1/model.onnx': 'x',
      'missing-labels/config.pbtxt': onnxConfig(
        'missing-labels',
        'output [ { name: "c" data_type: TYPE_INT32 dims: [ 1 ] label_filename: "classes.txt" } ]',
      ),
      'missing-labels/1/model.onnx': 'x',
      'bad-batching/config.pbtxt': onnxConfig(
        'bad-batching',
        'dynamic_batching { preferred_batch_size: [ 16 ] }',
      ),
      'bad-batching/1/model.onnx': 'x',
      'README.md': 'files at the top are not models',
      '.git/config': 'hidden directories are not models',
    });
    await makeDirectories(root, 'pipeline/1');
    snapshot = await loadModelRepository(root);
  });
  afterAll(() => removeFixture(root));

  it('loads the good models, sorted by name, and reports each bad one separately', () => {
    expect(snapshot.root).toBe(resolve(root!));
    expect(snapshot.models.map((definition) => definition.name)).toEqual([
      'detector',
      'pipeline',
      'trt',
      'unnamed',
    ]);
    expect(snapshot.errors.map((error) => error.model)).toEqual([
      'bad-batching',
      'bad-enum',
      'missing-labels',
      'no-config',
      'no-model-file',
      'only-junk-versions',
      'renamed',
      'specific-missing',
      'syntax',
      'unknown-field',
    ]);
  });

  it('lists every version with its file, digest and size, and serves the latest two', () => {
    const detector = model('detector');
    expect(detector.directory).toBe(join(root!, 'detector'));
    expect(detector.versions).toEqual(
      ['1', '2', '10'].map((version) => {
        const bytes = { '1': 'version one', '2': 'version two', '10': 'version ten' }[version]!;
        return {
          version,
          directory: join(root!, 'detector', version),
          modelFile: join(root!, 'detector', version, 'model.onnx'),
          sha256: sha256(bytes),
          sizeBytes: bytes.length,
        };
      }),
    );
    expect(detector.servedVersions).toEqual(['2', '10']);
  });

  it('exposes tensors, batching, labels and the parsed config', () => {
    const detector = model('detector');
    expect(detector).toMatchObject({
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      maxBatchSize: 4,
    });
    expect(detector.inputs).toEqual([{ name: 'images', datatype: 'FP32', dims: [3, 32, 32] }]);
    expect(detector.outputs.map((output) => output.name)).toEqual(['scores', 'classes']);
    expect(detector.labels).toEqual(['person', 'bicycle', 'car']);
    expect(detector.dynamicBatching).toEqual({
      preferredBatchSizes: [2, 4],
      maxQueueDelayMicroseconds: 500,
      preserveOrdering: false,
      priorityLevels: 0,
      defaultPriorityLevel: 0,
    });
    expect(detector.config.name).toBe('detector');
    expect(detector.configText).toBe(readFileSync(join(root!, 'detector/config.pbtxt'), 'utf8'));
    expect(detector.unsupportedReason).toBeUndefined();
  });

  it('warns about directories Triton ignores, but not about warmup data', () => {
    expect(model('detector').warnings).toEqual([
      'ignored directory "01": not a version number',
      'ignored directory "backup": not a version number',
    ]);
  });

  it('fills the name from the directory, detects ONNX, and applies a specific policy', () => {
    const unnamed = model('unnamed');
    expect(unnamed).toMatchObject({
      name: 'unnamed',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
    });
    expect(unnamed.versions.map((version) => version.modelFile)).toEqual([
      join(root!, 'unnamed/1/net.onnx'),
      join(root!, 'unnamed/2/net.onnx'),
    ]);
    expect(unnamed.servedVersions).toEqual(['1']);
    expect(unnamed.warnings).toEqual([
      `version_policy names version 3 but ${join(root!, 'unnamed', '3')} does not exist`,
    ]);
    expect(unnamed.outputs[0].datatype).toBe('BYTES');
  });

  it('lists models for other backends with the reason the embedded backend skips them', () => {
    const trt = model('trt');
    expect(trt.unsupportedReason).toMatch(/tensorrt_plan/);
    expect(trt.servedVersions).toEqual(['2']);
    expect(trt.versions.map((version) => version.modelFile)).toEqual([
      join(root!, 'trt/2/model.plan'),
    ]);
    expect(trt.warnings).toEqual([
      `version 1 has no model file ${join(root!, 'trt/1/model.plan')} (not served, skipped)`,
    ]);
  });

  it('treats an ensemble version directory as its artifact', () => {
    const pipeline = model('pipeline');
    expect(pipeline.versions).toEqual([
      {
        version: '1',
        directory: join(root!, 'pipeline/1'),
        modelFile: join(root!, 'pipeline/1'),
        sha256: sha256(''),
        sizeBytes: 0,
      },
    ]);
    expect(pipeline.unsupportedReason).toMatch(/ensemble/);
  });

  it('names file, line and column for a syntax error', () => {
    expect(errorOf('syntax')).toBe(
      `${join(root!, 'syntax/config.pbtxt')}:3:48: expected a field name, got "]"`,
    );
  });

  it('names the unknown field and the wrong enum value', () => {
    expect(errorOf('unknown-field')).toMatch(
      /unknown-field\/config\.pbtxt:6:1: unknown field "max_batch"/,
    );
    expect(errorOf('bad-enum')).toMatch(
      /bad-enum\/config\.pbtxt:4:\d+: unknown enum value "TYPE_FLOAT"/,
    );
  });

  it('names the served version whose model file is missing', () => {
    expect(errorOf('no-model-file')).toBe(
      `model "no-model-file": version 2 has no model file ${join(root!, 'no-model-file/2/model.onnx')}`,
    );
  });

  it('rejects a name that does not match the directory', () => {
    expect(errorOf('renamed')).toContain(
      'name "original-name" does not match its directory "renamed"',
    );
  });

  it('reports a model directory without config.pbtxt', () => {
    expect(errorOf('no-config')).toBe(
      `${join(root!, 'no-config/config.pbtxt')}: missing (every model directory needs one)`,
    );
  });

  it('reports a model with nothing to serve, listing what is present', () => {
    expect(errorOf('only-junk-versions')).toContain(
      'has no version to serve: version_policy latest 1 (default)',
    );
    expect(errorOf('specific-missing')).toContain(
      'version_policy specific [7] selects none of the version directories present [1]',
    );
  });

  it('reports a missing label file and invalid batching settings', () => {
    expect(errorOf('missing-labels')).toBe(
      `model "missing-labels": output "c" label_filename ${join(root!, 'missing-labels/classes.txt')}: missing`,
    );
    expect(errorOf('bad-batching')).toContain(
      'preferred_batch_size 16 must be between 1 and max_batch_size (4)',
    );
  });
});

describe('loadModelRepository edge cases', () => {
  let root: string | undefined;
  afterEach(() => removeFixture(root));

  it('rejects a repository path that does not exist or is not a directory', async () => {
    await expect(loadModelRepository('/nonexistent/models')).rejects.toThrow(
      'model repository /nonexistent/models cannot be read',
    );
    root = await writeFixture({ 'file.txt': 'x' });
    await expect(loadModelRepository(join(root, 'file.txt'))).rejects.toThrow('not a directory');
  });

  it('returns an empty snapshot for an empty repository', async () => {
    root = await writeFixture({});
    await expect(loadModelRepository(root)).resolves.toEqual({ root, models: [], errors: [] });
  });

  it('reports an unreadable model file as that model error only', async () => {
    // A dangling symlink cannot be read even by root (tests run as root in CI, where chmod would not do).
    root = await writeFixture({
      'm/config.pbtxt': onnxConfig('m'),
      'ok/config.pbtxt': onnxConfig('ok'),
      'ok/1/model.onnx': 'y',
    });
    await mkdir(join(root, 'm/1'));
    await symlink(join(root, 'nowhere.onnx'), join(root, 'm/1/model.onnx'));
    const snapshot = await loadModelRepository(root);
    expect(snapshot.models.map((definition) => definition.name)).toEqual(['ok']);
    expect(snapshot.errors.map((error) => error.model)).toEqual(['m']);
  });

  it('loads a model whose version directory is created later on the next call', async () => {
    root = await writeFixture({ 'm/config.pbtxt': onnxConfig('m') });
    expect((await loadModelRepository(root)).errors[0].message).toContain(
      'has no version to serve',
    );
    await mkdir(join(root, 'm/1'));
    expect((await loadModelRepository(root)).errors[0].message).toContain(
      'version 1 has no model file',
    );
  });
});

describe('the real triton-models repository', () => {
  const repository = join(__dirname, '../../../triton-models');
  const present = existsSync(join(repository, 'nanodet/config.pbtxt'));
  // Under CI a missing model is a failure, not a skip.
  const itWhenPresent = present || process.env.CI === 'true' ? it : it.skip;

  itWhenPresent('serves nanodet with COCO labels and a digest of the committed model', async () => {
    const snapshot = await loadModelRepository(repository);
    const nanodet = snapshot.models.find((definition) => definition.name === 'nanodet');
    expect(snapshot.errors.filter((error) => error.model === 'nanodet')).toEqual([]);
    expect(nanodet).toBeDefined();
    expect(nanodet!.unsupportedReason).toBeUndefined();
    expect(nanodet!.servedVersions.length).toBeGreaterThan(0);
    expect(nanodet!.labels).toHaveLength(80);
    expect(nanodet!.labels![0]).toBe('person');
    expect(nanodet!.inputs[0].datatype).toBe('FP32');
    const served = nanodet!.versions.find(
      (version) => version.version === nanodet!.servedVersions[0],
    )!;
    expect(served.sha256).toBe(sha256(readFileSync(served.modelFile)));
  });
});
