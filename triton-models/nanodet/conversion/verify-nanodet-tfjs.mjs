#!/usr/bin/env node
// Compare the converted NanoDet ONNX model against the TF.js original.
//
// The reference is the untouched TF.js graph model from the npm package, run
// by @tensorflow/tfjs (pure-JS CPU backend), so the check covers every step of
// the conversion (weight decoding, graph rebuild, batch patch, tf2onnx).
// Both models get the same tensor, made the way the gateway will make it:
// sharp plain resize (fit 'fill', default kernel) to 416x416, RGB, /255, NCHW.
//
// Uses the repository's own node_modules (@tensorflow/tfjs is a dev dependency). Run from the root:
//   node triton-models/nanodet/conversion/verify-nanodet-tfjs.mjs [--package DIR] [--model FILE] [--render OUT.png]
//
// Exits 1 if any output differs by more than the tolerance (see TOL below).

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
const ort = require('onnxruntime-node');
const sharp = require('sharp');

const root = path.resolve(here, '..', '..', '..');
const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce(
      (acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc),
      [],
    ),
);
const pkgDir = path.resolve(args.package ?? path.join(root, '.cache/human-models/package'));
const modelPath = path.resolve(args.model ?? path.join(root, 'triton-models/nanodet/1/model.onnx'));
const media = path.join(root, '.cache/sample-media');
const SAMPLES = ['messi5.jpg', 'basketball1.png', 'vtest-frames/frame-01.png'];
const SIZE = 416;
const STRIDES = [8, 16, 32];
const REG_BINS = 11; // reg_max 10 -> bins 0..10, in units of the stride
// TF.js output tensor -> ONNX output name (same mapping as convert_nanodet.py).
const OUTPUTS = {
  'Identity:0': 'cls_s8',
  'Identity_1:0': 'cls_s16',
  'Identity_2:0': 'cls_s32',
  'Identity_3:0': 'reg_s8',
  'Identity_4:0': 'reg_s16',
  'Identity_5:0': 'reg_s32',
};
// Tolerances. Same float32 network, different summation order and rounding
// points: the TF.js CPU conv adds one product at a time into a float32
// buffer; ORT's MLAS uses blocked SIMD/FMA kernels. The noise grows with the
// 34-conv depth. cls are sigmoid probabilities in [0,1] (sigmoid' <= 0.25
// damps it); reg are unbounded logits (|x| up to ~10) fed to a softmax, where
// an error e moves a decoded distance by <= ~5e strides (1e-3 -> <= 0.16 px
// at stride 32). Measured: ~1e-6 (cls) and ~2e-5 (reg).
const TOL = { cls: 1e-4, reg: 1e-3 };
const labels = readFileSync(path.join(root, 'triton-models/nanodet/labels.txt'), 'utf8')
  .trim()
  .split('\n');

async function preprocess(file) {
  const { data, info } = await sharp(file)
    .removeAlpha()
    .toColourspace('srgb')
    .resize(SIZE, SIZE, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${file}: expected 3 channels, got ${info.channels}`);
  const plane = SIZE * SIZE;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = data[i * 3 + c] / 255;
  }
  const meta = await sharp(file).metadata();
  return { tensor: out, width: meta.width, height: meta.height };
}

async function loadTfjs() {
  const modelJson = JSON.parse(readFileSync(path.join(pkgDir, 'models/nanodet.json'), 'utf8'));
  const bin = readFileSync(path.join(pkgDir, 'models/nanodet.bin'));
  const artifacts = {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    signature: modelJson.signature,
    weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
  };
  return tf.loadGraphModel(tf.io.fromMemory(artifacts));
}

// --- GFL decode (sanity check of the output semantics) ---------------------
// For stride s the grid is (416/s)^2 cells, anchor index = y * W + x. Each cell
// predicts 80 class probabilities and, per side (left, top, right, bottom),
// 11 logits over distances 0..10 strides; distance = s * sum_i i * softmax_i.
function decode(outs, centreOffset, threshold = 0.3) {
  const dets = [];
  for (const s of STRIDES) {
    const W = SIZE / s;
    const cls = outs[`cls_s${s}`];
    const reg = outs[`reg_s${s}`];
    for (let i = 0; i < W * W; i++) {
      let best = 0;
      for (let c = 1; c < 80; c++) if (cls[i * 80 + c] > cls[i * 80 + best]) best = c;
      const score = cls[i * 80 + best];
      if (score < threshold) continue;
      const d = [0, 1, 2, 3].map((side) => {
        const logits = reg.subarray(i * 44 + side * REG_BINS, i * 44 + (side + 1) * REG_BINS);
        const max = Math.max(...logits);
        const e = Array.from(logits, (v) => Math.exp(v - max));
        const sum = e.reduce((a, b) => a + b, 0);
        return (s * e.reduce((a, v, k) => a + k * v, 0)) / sum;
      });
      const cx = ((i % W) + centreOffset) * s;
      const cy = (Math.floor(i / W) + centreOffset) * s;
      dets.push({ cls: best, score, stride: s, box: [cx - d[0], cy - d[1], cx + d[2], cy + d[3]] });
    }
  }
  return nms(dets, 0.5);
}

function iou(a, b) {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

function nms(dets, thr) {
  const kept = [];
  for (const d of dets.sort((a, b) => b.score - a.score)) {
    if (!kept.some((k) => k.cls === d.cls && iou(k.box, d.box) > thr)) kept.push(d);
  }
  return kept;
}

function toImage(box, w, h) {
  return [box[0] * (w / SIZE), box[1] * (h / SIZE), box[2] * (w / SIZE), box[3] * (h / SIZE)].map(
    (v) => Math.round(v),
  );
}

async function render(file, dets, w, h, out) {
  const rects = dets
    .map((d) => {
      const [x1, y1, x2, y2] = toImage(d.box, w, h);
      return (
        `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${d.colour}" stroke-width="2"/>` +
        `<text x="${x1 + 3}" y="${y1 + 14}" fill="${d.colour}" font-size="13" font-family="sans-serif">${d.label}</text>`
      );
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${rects}</svg>`;
  await sharp(file)
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toFile(out);
}

async function main() {
  await tf.setBackend('cpu');
  const tfModel = await loadTfjs();
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
  let failed = false;
  const worst = {};
  let messi;
  for (const name of SAMPLES) {
    const file = path.join(media, name);
    const img = await preprocess(file);
    const t0 = Date.now();
    const input = tf.tensor4d(img.tensor, [1, 3, SIZE, SIZE]);
    const tfOut = tfModel.execute(input, Object.keys(OUTPUTS));
    const ref = Object.fromEntries(Object.values(OUTPUTS).map((k, i) => [k, tfOut[i].dataSync()]));
    tf.dispose([input, ...tfOut]);
    const t1 = Date.now();
    const res = await session.run({
      images: new ort.Tensor('float32', img.tensor, [1, 3, SIZE, SIZE]),
    });
    const t2 = Date.now();
    const diffs = Object.values(OUTPUTS).map((k) => {
      const a = ref[k];
      const b = res[k].data;
      if (a.length !== b.length) throw new Error(`${k}: length ${a.length} vs ${b.length}`);
      let m = 0;
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
      worst[k] = Math.max(worst[k] ?? 0, m);
      if (m > TOL[k.slice(0, 3)]) failed = true;
      return `${k}=${m.toExponential(2)}`;
    });
    console.log(
      `ORT vs TF.js ${name.padEnd(26)} ${diffs.join(' ')}  (tfjs ${t1 - t0} ms, ort ${t2 - t1} ms)`,
    );
    if (name === 'messi5.jpg')
      messi = {
        file,
        img,
        outs: Object.fromEntries(Object.keys(res).map((k) => [k, res[k].data])),
      };
  }
  console.log(
    `max over images: ${Object.entries(worst)
      .map(([k, v]) => `${k}=${v.toExponential(2)}`)
      .join(' ')}`,
  );
  console.log(`tolerance: cls ${TOL.cls}, reg ${TOL.reg} -> ${failed ? 'FAIL' : 'OK'}`);

  // Sanity decode of messi5 with both cell-centre conventions.
  const { img } = messi;
  const drawn = [];
  for (const [offset, colour] of [
    [0.5, 'lime'],
    [0, 'red'],
  ]) {
    const dets = decode(messi.outs, offset);
    console.log(
      `messi5 top detections, cell centre (x + ${offset}) * stride (box in source pixels ${img.width}x${img.height}):`,
    );
    for (const d of dets.slice(0, 4)) {
      console.log(
        `  ${labels[d.cls].padEnd(12)} ${d.score.toFixed(4)} stride ${d.stride} box ${JSON.stringify(toImage(d.box, img.width, img.height))}`,
      );
    }
    drawn.push(
      ...dets
        .slice(0, 2)
        .map((d) => ({ ...d, colour, label: `${labels[d.cls]} ${d.score.toFixed(2)} +${offset}` })),
    );
  }
  if (args.render) {
    await render(messi.file, drawn, img.width, img.height, path.resolve(args.render));
    console.log(`rendered ${args.render}`);
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
