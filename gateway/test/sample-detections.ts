import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { readSampleMedia } from '@test-support';
import { loadGatewayConfig } from '../src/config/gateway-config';
import { withDefaults } from '../src/vision/detect-options';
import type { DetectContext, DetectOptions, DetectResult } from '../src/vision/detect-types';
import {
  createInProcessDetectPipeline,
  detectSteps,
} from '../../load-tests/lib/in-process-detect-pipeline';
import { BENCH_CALL } from '../../load-tests/lib/bench-credentials';
import { IMAGE_FILES } from '../../load-tests/detect-overhead/settings';

/**
 * The detect pipeline's outputs on the benchmark's sample images, recorded from the code as it was
 * before its hot paths were reworked (scripts/record-sample-detections.ts) and compared by
 * gateway/test/detect-pipeline-outputs.spec.ts: a faster pipeline must answer the same.
 */
export const SAMPLE_DETECTIONS_FIXTURE = resolve(
  __dirname,
  'test-reference/detect-pipeline-outputs.json',
);

/** Each image with the model's defaults, then the other resize mode and a low threshold. */
export const SAMPLE_CASES: { name: string; options: Partial<DetectOptions> }[] =
  IMAGE_FILES.flatMap((image) => [
    { name: image, options: {} },
    { name: image, options: { resize: 'stretch', scoreThreshold: 0.1, maxDetections: 100 } },
  ]);

/** One detection at full precision: [classId, score, x1, y1, x2, y2]. */
export type RawDetection = [number, number, number, number, number, number];

export interface SampleOutput {
  image: string;
  options: Partial<DetectOptions>;
  /** sha256 of the NCHW float32 model input the preprocess stage wrote. */
  inputSha256: string;
  /** The stages' own detections (original pixels, unrounded), highest score first. */
  raw: RawDetection[];
  /** What the detect API answers for the same call (rounded as the API rounds). */
  answer: DetectResult['detections'];
}

/**
 * Runs the real detect pipeline in-process (embedded ONNX Runtime, one intra-op thread) on every
 * sample case: once through DetectPipeline.detect for the API's answer, and once stage by stage
 * (the same stage classes; inference called on the backend directly) for the model input and the
 * unrounded boxes, which the answer rounds away.
 */
export async function detectSampleImages(): Promise<SampleOutput[]> {
  const config = loadGatewayConfig({
    MODEL_REPOSITORY: resolve(__dirname, '../../triton-models'),
    ORT_INTRA_OP_THREADS: '1',
    LOG_LEVEL: 'error',
  });
  const { backend, pipeline } = await createInProcessDetectPipeline(config);
  const { steps, close } = detectSteps(config, backend, { handOverInput: false });
  try {
    const outputs: SampleOutput[] = [];
    for (const { name, options } of SAMPLE_CASES) {
      const request = {
        model: 'nanodet',
        version: '',
        image: readSampleMedia(name),
        options: { ...withDefaults({}, config.detectDefaults), ...options },
      };
      const answer = await pipeline.detect(request, BENCH_CALL);

      const context: DetectContext = { request, target: backend.resolve('nanodet', '') };
      for (const step of steps) await step.run(context);
      if (!context.input) throw new Error(`no model input for ${name}`);
      outputs.push({
        image: name,
        options,
        inputSha256: sha256(context.input),
        raw: (context.detections ?? []).map((d) => [d.classId, d.score, d.x1, d.y1, d.x2, d.y2]),
        answer: answer.detections,
      });
    }
    return outputs;
  } finally {
    close();
    await backend.close();
  }
}

function sha256(input: Float32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(input.buffer, input.byteOffset, input.byteLength))
    .digest('hex');
}
