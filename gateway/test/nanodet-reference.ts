import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { MODEL_REPOSITORY } from './test-gateway';

export const NANODET_OUTPUTS = [
  'cls_s8',
  'cls_s16',
  'cls_s32',
  'reg_s8',
  'reg_s16',
  'reg_s32',
] as const;
export const NANODET_INPUT_SIZE = 3 * 416 * 416;

let session: Promise<ort.InferenceSession> | undefined;

/** ONNX Runtime called directly on the committed model: the reference the gateway must reproduce. */
export async function nanodetReference(
  input: Float32Array,
  batch: number,
): Promise<Record<string, Float32Array>> {
  session ??= ort.InferenceSession.create(resolve(MODEL_REPOSITORY, 'nanodet/1/model.onnx'), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 2,
  });
  const results = await (
    await session
  ).run({ images: new ort.Tensor('float32', input, [batch, 3, 416, 416]) });
  return Object.fromEntries(
    NANODET_OUTPUTS.map((name) => [name, results[name].data as Float32Array]),
  );
}
