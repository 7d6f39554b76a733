/**
 * The bad canaries of the canary-analysis acceptance test (triton-models/nanodet/canaries/): the
 * builder runs into a temporary folder and each variant is run with ONNX Runtime beside the
 * committed model on real images (messi5.jpg, a vtest.avi frame): faithful answers identically,
 * shifted moves the detections, scrambled permutes the class scores, slow answers identically but
 * several times slower. (Here and not beside the script: jest's roots and tsconfig do not include triton-models/.)
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { missingPrerequisite, readSampleMedia } from '@test-support';
import {
  batchedNms,
  decodeGfl,
  matchedDetections,
  NANODET_M_416,
  type Detection,
} from '@vision-math';
import { NANODET_OUTPUTS } from './nanodet-reference';

const ROOT = path.resolve(__dirname, '../..');
const PYTHON = process.env.PYTHON ?? path.join(ROOT, '.venv/bin/python');
const BUILDER = path.join(ROOT, 'triton-models/nanodet/canaries/build-canaries.py');
const ORIGINAL = path.join(ROOT, 'triton-models/nanodet/1/model.onnx');
const VARIANTS = ['faithful', 'shifted', 'scrambled', 'slow'] as const;
type Variant = (typeof VARIANTS)[number];
const CLASSES = 80;
const PERSON = 0;
const SHIFT_PIXELS = 64;
const permutation = Array.from({ length: CLASSES }, (_, k) => (7 * k + 3) % CLASSES);

type Outputs = Record<(typeof NANODET_OUTPUTS)[number], Float32Array>;

async function imageTensor(name: string): Promise<ort.Tensor> {
  const { data } = await sharp(readSampleMedia(name))
    .removeAlpha()
    .resize(416, 416, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const chw = new Float32Array(3 * 416 * 416);
  for (let pixel = 0; pixel < 416 * 416; pixel++) {
    for (let channel = 0; channel < 3; channel++) {
      chw[channel * 416 * 416 + pixel] = data[pixel * 3 + channel] / 255;
    }
  }
  return new ort.Tensor('float32', chw, [1, 3, 416, 416]);
}

function session(file: string): Promise<ort.InferenceSession> {
  // Full graph optimisation: the slow variant's wasted work must survive what ONNX Runtime folds.
  return ort.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 2,
  });
}

async function run(model: ort.InferenceSession, input: ort.Tensor): Promise<Outputs> {
  const results = await model.run({ images: input });
  return Object.fromEntries(
    NANODET_OUTPUTS.map((name) => [name, results[name].data as Float32Array]),
  ) as Outputs;
}

/** Centre (px) and score of the best cell for `classId` over the three levels. */
function bestCell(outputs: Outputs, classId: number): { x: number; y: number; score: number } {
  let best = { x: 0, y: 0, score: -1 };
  for (const [name, stride] of [
    ['cls_s8', 8],
    ['cls_s16', 16],
    ['cls_s32', 32],
  ] as const) {
    const scores = outputs[name];
    const width = 416 / stride;
    for (let cell = 0; cell < scores.length / CLASSES; cell++) {
      const score = scores[cell * CLASSES + classId];
      if (score > best.score) {
        best = {
          x: ((cell % width) + 0.5) * stride,
          y: (Math.floor(cell / width) + 0.5) * stride,
          score,
        };
      }
    }
  }
  return best;
}

/** Detections in input pixels (416×416): GFL decode, score ≥ 0.3, per-class NMS at IoU 0.6. */
function detect(outputs: Outputs): Detection[] {
  const levels = (['s8', 's16', 's32'] as const).map((level) => ({
    scores: outputs[`cls_${level}`],
    regression: outputs[`reg_${level}`],
  }));
  return batchedNms(decodeGfl(NANODET_M_416, levels, 0, { scoreThreshold: 0.3 }), {
    iouThreshold: 0.6,
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe('NanoDet bad canaries (build-canaries.py)', () => {
  const probe = spawnSync(PYTHON, ['-c', 'import onnx, numpy'], { encoding: 'utf8' });
  const missing =
    probe.error !== undefined || probe.status !== 0
      ? `"${PYTHON} -c 'import onnx, numpy'" failed (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}). ` +
        'Install with: .venv/bin/pip install -r scripts/requirements-test.txt (or set PYTHON).'
      : undefined;
  if (missingPrerequisite('the onnx Python package (the canary builder)', missing)) return;

  let directory: string;
  let printed: string;
  let input: ort.Tensor;
  let original: ort.InferenceSession;
  let originalOutputs: Outputs;
  const sessions = {} as Record<Variant, ort.InferenceSession>;
  const outputs = {} as Record<Variant, Outputs>;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'nanodet-canaries-'));
    ({ stdout: printed } = await promisify(execFile)(PYTHON, [BUILDER, directory], {
      timeout: 120_000,
    }));
    input = await imageTensor('messi5.jpg');
    original = await session(ORIGINAL);
    originalOutputs = await run(original, input);
    for (const variant of VARIANTS) {
      sessions[variant] = await session(path.join(directory, variant, 'model.onnx'));
      outputs[variant] = await run(sessions[variant], input);
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all([original, ...Object.values(sessions)].map((s) => s?.release()));
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  });

  it('prints the sha256 of each variant, all different from the original', async () => {
    const lines = printed.trim().split('\n');
    expect(lines.map((line) => line.split(/\s+/)[1])).toEqual([...VARIANTS]);
    const originalSha = createHash('sha256')
      .update(await readFile(ORIGINAL))
      .digest('hex');
    for (const [index, variant] of VARIANTS.entries()) {
      const bytes = await readFile(path.join(directory, variant, 'model.onnx'));
      const sha = createHash('sha256').update(bytes).digest('hex');
      expect(lines[index].startsWith(`${sha}  ${variant}`)).toBe(true);
      expect(sha).not.toBe(originalSha);
    }
  });

  it('faithful answers exactly like the original', () => {
    for (const name of NANODET_OUTPUTS)
      expect(outputs.faithful[name]).toEqual(originalOutputs[name]);
  });

  it('scrambled gives class k the score the original gives class (7k + 3) mod 80; boxes unchanged', () => {
    for (const name of ['reg_s8', 'reg_s16', 'reg_s32'] as const) {
      expect(outputs.scrambled[name]).toEqual(originalOutputs[name]);
    }
    for (const name of ['cls_s8', 'cls_s16', 'cls_s32'] as const) {
      const got = outputs.scrambled[name];
      const want = originalOutputs[name];
      for (let cell = 0; cell < want.length / CLASSES; cell++) {
        for (let k = 0; k < CLASSES; k++) {
          if (got[cell * CLASSES + k] !== want[cell * CLASSES + permutation[k]]) {
            throw new Error(
              `${name} cell ${cell} class ${k} is not original class ${permutation[k]}`,
            );
          }
        }
      }
    }
    // The player is still found, under another label.
    const person = bestCell(originalOutputs, PERSON);
    const relabelled = bestCell(outputs.scrambled, permutation.indexOf(PERSON));
    expect(person.score).toBeGreaterThan(0.5);
    expect(relabelled).toEqual(person);
    expect(bestCell(outputs.scrambled, PERSON).score).toBeLessThan(person.score);
  });

  it(`shifted moves every detection ${SHIFT_PIXELS} px right and down`, async () => {
    // A street scene (vtest.avi, the acceptance test's footage): many small boxes.
    const street = await imageTensor('vtest-frames/frame-01.png');
    const before = detect(await run(original, street));
    const after = detect(await run(sessions.shifted, street));
    // What the original finds, moved as the canary moves the image (off-image parts cut).
    const moved = before
      .map((box) => ({
        ...box,
        x1: Math.min(416, box.x1 + SHIFT_PIXELS),
        y1: Math.min(416, box.y1 + SHIFT_PIXELS),
        x2: Math.min(416, box.x2 + SHIFT_PIXELS),
        y2: Math.min(416, box.y2 + SHIFT_PIXELS),
      }))
      .filter((box) => box.x2 - box.x1 > 8 && box.y2 - box.y1 > 8);
    const agreementF1 = (2 * matchedDetections(before, after)) / (before.length + after.length);
    // Of what the shifted canary finds, the share that is an original detection moved.
    const movedPrecision = matchedDetections(moved, after) / after.length;
    console.log(
      `shifted canary on a street frame: ${before.length} → ${after.length} detections; agreement F1 with the original ${agreementF1.toFixed(2)}; ${(100 * movedPrecision).toFixed(0)}% of its detections are original ones moved`,
    );
    expect(before.length).toBeGreaterThanOrEqual(4);
    expect(after.length).toBeGreaterThan(0);
    expect(agreementF1).toBeLessThan(0.2);
    expect(movedPrecision).toBeGreaterThanOrEqual(0.6);
  });

  it('slow answers exactly like the original, at least twice as slowly', async () => {
    for (const name of NANODET_OUTPUTS) expect(outputs.slow[name]).toEqual(originalOutputs[name]);
    // Interleaved runs, medians compared: the variant adds ten 1024² MatMuls (~21 GFLOP) to a
    // model of about 1 GFLOP, so 2x is a property of the graph, not of this machine's speed.
    const times: Record<'original' | 'slow', number[]> = { original: [], slow: [] };
    for (let round = 0; round < 5; round++) {
      for (const [name, model] of [
        ['original', original],
        ['slow', sessions.slow],
      ] as const) {
        const started = process.hrtime.bigint();
        await model.run({ images: input });
        times[name].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    const ratio = median(times.slow) / median(times.original);
    console.log(
      `slow canary: median ${median(times.slow).toFixed(0)} ms vs ${median(times.original).toFixed(0)} ms, ${ratio.toFixed(1)}x`,
    );
    expect(ratio).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
