/**
 * Records what the detect pipeline answers on the benchmark's sample images into the fixture
 * gateway/test/detect-pipeline-outputs.spec.ts compares against
 * (gateway/test/test-reference/detect-pipeline-outputs.json). Recorded once, from the code before
 * the detect hot paths were reworked (issue 15); re-record only when the outputs are meant to change.
 *   node -r @swc-node/register scripts/record-sample-detections.ts
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import * as prettier from 'prettier';
import sharp from 'sharp';
import { detectSampleImages, SAMPLE_DETECTIONS_FIXTURE } from '../gateway/test/sample-detections';

const root = resolve(__dirname, '..');
const modelFile = resolve(root, 'triton-models/nanodet/1/model.onnx');

async function main(): Promise<void> {
  const outputs = await detectSampleImages();
  const manifest = JSON.parse(
    readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8'),
  ) as { version: string };
  const fixture = {
    model: 'nanodet',
    modelSha256: createHash('sha256').update(readFileSync(modelFile)).digest('hex'),
    recordedWith: {
      onnxruntimeNode: manifest.version,
      sharp: sharp.versions.sharp,
      libvips: sharp.versions.vips,
      ortIntraOpThreads: 1,
    },
    raw: '[classId, score, x1, y1, x2, y2], original pixels, full precision',
    generatedBy: 'node -r @swc-node/register scripts/record-sample-detections.ts',
    cases: outputs,
  };
  const text = await prettier.format(JSON.stringify(fixture), {
    ...(await prettier.resolveConfig(SAMPLE_DETECTIONS_FIXTURE)),
    filepath: SAMPLE_DETECTIONS_FIXTURE,
  });
  writeFileSync(SAMPLE_DETECTIONS_FIXTURE, text);
  const boxes = outputs.reduce((sum, output) => sum + output.raw.length, 0);
  console.log(
    `${relative(root, SAMPLE_DETECTIONS_FIXTURE)}: ${outputs.length} cases, ${boxes} detections, ${text.length} bytes`,
  );
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
