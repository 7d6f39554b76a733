import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NANODET_INPUT_SIZE, nanodetReference } from '../../../test/nanodet-reference';
import { MODEL_REPOSITORY, seededFloats } from '../../../test/test-gateway';
import type { InferRequest } from '../inference-backend';
import { OnnxRuntimeBackend } from './onnx-runtime.backend';

function request(input: Float32Array, outputs: string[] = ['cls_s32']): InferRequest {
  return {
    model: 'nanodet',
    version: '',
    inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 416, 416], data: input }],
    outputs,
  };
}

/** A copy of the real repository whose nanodet runs `count` instances. */
function repositoryWithInstances(count: number): string {
  const root = mkdtempSync(join(tmpdir(), 'ort-instances-'));
  const model = join(root, 'nanodet');
  mkdirSync(join(model, '1'), { recursive: true });
  cpSync(join(MODEL_REPOSITORY, 'nanodet/labels.txt'), join(model, 'labels.txt'));
  symlinkSync(resolve(MODEL_REPOSITORY, 'nanodet/1/model.onnx'), join(model, '1/model.onnx'));
  const config = readFileSync(join(MODEL_REPOSITORY, 'nanodet/config.pbtxt'), 'utf8');
  writeFileSync(join(model, 'config.pbtxt'), config.replace(/count: 1/, `count: ${count}`));
  return root;
}

describe('OnnxRuntimeBackend (embedded, one worker thread per model instance)', () => {
  let root: string;
  let backend: OnnxRuntimeBackend;

  beforeAll(async () => {
    root = repositoryWithInstances(2);
    backend = new OnnxRuntimeBackend({ repository: root, intraOpThreads: 1 });
    await backend.load();
  });
  afterAll(async () => {
    await backend.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps the event loop free while a model runs', async () => {
    const input = seededFloats(NANODET_INPUT_SIZE, 2);
    let inferenceDone = false;
    const inference = backend.infer(request(input)).then(() => (inferenceDone = true));
    // onnxruntime-node runs a session synchronously on its calling thread: on the event loop this
    // immediate would only run after the whole inference.
    const doneWhenTheLoopTurned = await new Promise<boolean>((resolveTurn) =>
      setImmediate(() => resolveTurn(inferenceDone)),
    );
    expect(doneWhenTheLoopTurned).toBe(false);
    await inference;
  });

  it('spreads concurrent runs over the instance_group instances, each bit-identical to ONNX Runtime', async () => {
    const inputs = [1, 2, 3, 4].map((seed) => seededFloats(NANODET_INPUT_SIZE, seed));
    const results = await Promise.all(
      inputs.map((input) => backend.infer(request(input, ['cls_s8', 'reg_s32']))),
    );
    for (const [index, result] of results.entries()) {
      const reference = await nanodetReference(inputs[index], 1);
      expect(result.outputs.map((output) => output.name)).toEqual(['cls_s8', 'reg_s32']);
      expect(result.outputs[0].data).toEqual(reference.cls_s8);
      expect(result.outputs[1].data).toEqual(reference.reg_s32);
      expect(result.outputs[1].shape).toEqual([1, 169, 44]);
    }
  });

  it('answers a request for an unloaded model with not_found and fails closed after close()', async () => {
    await expect(
      backend.infer({ ...request(seededFloats(3)), model: 'other' }),
    ).rejects.toMatchObject({ kind: 'not_found' });
    const closing = new OnnxRuntimeBackend({ repository: root, intraOpThreads: 1 });
    await closing.load();
    await closing.close();
    expect(closing.isReady()).toBe(false);
    await expect(closing.infer(request(seededFloats(NANODET_INPUT_SIZE)))).rejects.toMatchObject({
      kind: 'not_found',
    });
  });
});
