import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { loadModelRepository } from './load-repository';
import type { ModelDefinition, ModelRepositorySnapshot } from './model-definition';
import { type OnnxTensor, signatureMismatches } from './onnx-signature';

const repository = join(__dirname, '../../../triton-models');
const present = existsSync(join(repository, 'appearance-mobilenetv2/1/model.onnx'));
// Under CI a missing model is a failure, not a skip.
const describeWhenPresent = present || process.env.CI === 'true' ? describe : describe.skip;

describeWhenPresent('the real triton-models repository with the appearance embedder', () => {
  let snapshot: ModelRepositorySnapshot;
  let embedder: ModelDefinition;

  beforeAll(async () => {
    snapshot = await loadModelRepository(repository);
    const found = snapshot.models.find((model) => model.name === 'appearance-mobilenetv2');
    if (!found) throw new Error(`not loaded; errors: ${JSON.stringify(snapshot.errors)}`);
    embedder = found;
  });

  it('loads both the detector and the embedder, with no errors', () => {
    const names = snapshot.models.map((model) => model.name);
    expect(names).toEqual(expect.arrayContaining(['appearance-mobilenetv2', 'nanodet']));
    expect(snapshot.errors).toEqual([]);
  });

  it('describes the embedder as its config says: batched, one crop in, one unit vector out', () => {
    expect(embedder.unsupportedReason).toBeUndefined();
    expect(embedder.platform).toBe('onnxruntime_onnx');
    expect(embedder.maxBatchSize).toBe(32);
    expect(embedder.dynamicBatching).toBeDefined();
    expect(embedder.servedVersions).toEqual(['1']);
    expect(embedder.inputs).toEqual([
      expect.objectContaining({ name: 'images', datatype: 'FP32', dims: [3, 128, 64] }),
    ]);
    expect(embedder.outputs).toEqual([
      expect.objectContaining({ name: 'embedding', datatype: 'FP32', dims: [1280] }),
    ]);
    expect(embedder.config.parameters['vision.decoder']?.stringValue).toBe('appearance-embedding');
    // Only the conversion tooling sits beside the version folder.
    expect(embedder.warnings).toEqual(['ignored directory "conversion": not a version number']);
    const served = embedder.versions[0];
    expect(served.sha256).toBe(
      createHash('sha256').update(readFileSync(served.modelFile)).digest('hex'),
    );
  });

  it('has a config that matches the ONNX graph as ONNX Runtime reads it', async () => {
    const session = await InferenceSession.create(embedder.versions[0].modelFile, {
      intraOpNumThreads: 1,
    });
    try {
      const describeValues = (values: readonly InferenceSession.ValueMetadata[]): OnnxTensor[] =>
        values.map((value) =>
          value.isTensor
            ? { name: value.name, type: value.type, shape: value.shape }
            : { name: value.name, type: undefined, shape: [] },
        );
      const onnx = {
        inputs: describeValues(session.inputMetadata),
        outputs: describeValues(session.outputMetadata),
      };
      expect(onnx.inputs).toEqual([
        { name: 'images', type: 'float32', shape: ['batch', 3, 128, 64] },
      ]);
      expect(signatureMismatches(embedder, onnx)).toEqual([]);
    } finally {
      await session.release();
    }
  });
});
