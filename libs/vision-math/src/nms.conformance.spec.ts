/**
 * Conformance of batchedNmsIndices with OpenCV's cv2.dnn.NMSBoxesBatched (the reference script is
 * test-reference/nms_reference.py; its docstring lists the OpenCV semantics this relies on).
 *
 * Matching conventions: OpenCV's Python binding takes cv::Rect2d, whose IoU uses area = w · h with no
 * "+1" — the same as ours (the first scene below proves it: the "+1" convention would flip its
 * outcome). Scenes avoid OpenCV's documented differences: distinct float32 scores (no ties), scores
 * above the strict score threshold, positive-area boxes (OpenCV treats two zero-area boxes as IoU 1),
 * non-negative coordinates (its class-offset trick needs them), and no same-class pair whose IoU is
 * within 1e-6 of the threshold (OpenCV compares the IoU in float32).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import fc from 'fast-check';
import { batchedNmsIndices, iou } from './nms';
import { type Detection } from './types';
import { missingPrerequisite } from '@test-support';

interface Scene {
  boxes: [number, number, number, number][];
  scores: number[];
  classIds: number[];
  iouThreshold: number;
}

interface ReferenceOutput {
  opencv: string;
  kept: number[][];
}

const repoRoot = path.resolve(__dirname, '../../..');
const python = process.env.PYTHON ?? path.join(repoRoot, '.venv/bin/python');
const script = path.join(repoRoot, 'libs/vision-math/test-reference/nms_reference.py');
const SEED = 20240607;
const RANDOM_SCENES = 300;
const IOU_MARGIN = 1e-6;

function probeReference(): string | undefined {
  const probe = spawnSync(python, ['-c', 'import cv2, numpy'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim().split('\n').pop() ?? '';
    return (
      `OpenCV reference unavailable: "${python} -c 'import cv2, numpy'" failed (${why}). ` +
      'Create it with: python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements-test.txt ' +
      '(or point PYTHON at an interpreter that has them).'
    );
  }
  return undefined;
}

function toDetections(scene: Scene): Detection[] {
  return scene.boxes.map(([x1, y1, x2, y2], i) => ({
    x1,
    y1,
    x2,
    y2,
    score: scene.scores[i],
    classId: scene.classIds[i],
  }));
}

function hasNearThresholdPair(scene: Scene): boolean {
  const dets = toDetections(scene);
  for (let i = 0; i < dets.length; i++) {
    for (let j = i + 1; j < dets.length; j++) {
      if (dets[i].classId !== dets[j].classId) continue;
      if (Math.abs(iou(dets[i], dets[j]) - scene.iouThreshold) < IOU_MARGIN) return true;
    }
  }
  return false;
}

const boxArb = (maxX: number, maxSide: number): fc.Arbitrary<[number, number, number, number]> =>
  fc
    .tuple(
      fc.double({ min: 0, max: maxX, noNaN: true }),
      fc.double({ min: 0, max: maxX, noNaN: true }),
      fc.double({ min: 0.5, max: maxSide, noNaN: true }),
      fc.double({ min: 0.5, max: maxSide, noNaN: true }),
    )
    .map(([x, y, w, h]): [number, number, number, number] => [x, y, x + w, y + h]);

/** Boxes jittered around a few centres, so that most scenes suppress a lot. */
const clusteredBoxArb = fc
  .tuple(
    fc.constantFrom(50, 200, 350),
    fc.constantFrom(60, 240),
    fc.double({ min: -15, max: 15, noNaN: true }),
    fc.double({ min: -15, max: 15, noNaN: true }),
    fc.double({ min: 20, max: 60, noNaN: true }),
    fc.double({ min: 20, max: 60, noNaN: true }),
  )
  .map(([cx, cy, dx, dy, w, h]): [number, number, number, number] => {
    const x1 = Math.max(0, cx + dx - w / 2);
    const y1 = Math.max(0, cy + dy - h / 2);
    return [x1, y1, x1 + w, y1 + h];
  });

const sceneArb: fc.Arbitrary<Scene> = fc
  .record({
    n: fc.integer({ min: 1, max: 60 }),
    numClasses: fc.integer({ min: 1, max: 4 }),
    clustered: fc.boolean(),
    iouThreshold: fc.oneof(
      fc.constantFrom(0.3, 0.45, 0.5, 0.65),
      fc.double({ min: 0.05, max: 0.95, noNaN: true }),
    ),
  })
  .chain(({ n, numClasses, clustered, iouThreshold }) =>
    fc.record({
      boxes: fc.array(clustered ? clusteredBoxArb : boxArb(600, 250), {
        minLength: n,
        maxLength: n,
      }),
      // Distinct in float32 (OpenCV's score type), so there are no ties to break.
      scores: fc
        .uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: n, maxLength: n })
        .map((ks) => ks.map((k) => Math.fround(k / 1_000_000))),
      classIds: fc.array(fc.integer({ min: 0, max: numClasses - 1 }), {
        minLength: n,
        maxLength: n,
      }),
      iouThreshold: fc.constant(iouThreshold),
    }),
  )
  .filter((scene) => !hasNearThresholdPair(scene));

/** Hand-made scenes that pin conventions down. */
const probeScenes: Scene[] = [
  // IoU 80/100 = 0.8 without "+1", 99/121 ≈ 0.818 with it: at 0.81 both survive only without "+1".
  {
    boxes: [
      [0, 0, 10, 10],
      [0, 0, 10, 8],
    ],
    scores: [0.9, 0.8],
    classIds: [0, 0],
    iouThreshold: 0.81,
  },
  // Fractional coordinates (IoU 100/105 ≈ 0.952): suppressed at 0.95, so boxes are not rounded to int.
  {
    boxes: [
      [0, 0, 10.5, 10],
      [0.4, 0, 10.4, 10],
    ],
    scores: [0.9, 0.8],
    classIds: [0, 0],
    iouThreshold: 0.95,
  },
  // Identical boxes of different classes are both kept.
  {
    boxes: [
      [5, 5, 50, 50],
      [5, 5, 50, 50],
    ],
    scores: [0.7, 0.6],
    classIds: [2, 3],
    iouThreshold: 0.5,
  },
];

function runReference(scenes: Scene[]): ReferenceOutput {
  const result = spawnSync(python, [script], {
    input: JSON.stringify({ scenes }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(
      `nms_reference.py failed (status ${result.status}): ${result.error?.message ?? result.stderr}`,
    );
  }
  return JSON.parse(result.stdout) as ReferenceOutput;
}

const unavailable = probeReference();

describe('batchedNmsIndices vs OpenCV cv2.dnn.NMSBoxesBatched', () => {
  if (missingPrerequisite('the OpenCV reference', unavailable)) return;

  const randomScenes = fc.sample(sceneArb, { seed: SEED, numRuns: RANDOM_SCENES });
  const scenes = [...probeScenes, ...randomScenes];
  let reference: ReferenceOutput;

  beforeAll(() => {
    reference = runReference(scenes);
  });

  it('pins the conventions: no "+1" in IoU, float coordinates, classes kept apart', () => {
    expect(reference.kept.slice(0, probeScenes.length)).toEqual([[0, 1], [0], [0, 1]]);
    probeScenes.forEach((scene, i) => {
      const ours = batchedNmsIndices(toDetections(scene), { iouThreshold: scene.iouThreshold });
      expect(ours).toEqual(reference.kept[i]);
    });
  });

  it(`keeps exactly the boxes OpenCV keeps, in the same order (${RANDOM_SCENES} scenes, seed ${SEED})`, () => {
    const mismatches: unknown[] = [];
    let scenesWithSuppression = 0;
    scenes.forEach((scene, i) => {
      const ours = batchedNmsIndices(toDetections(scene), { iouThreshold: scene.iouThreshold });
      const theirs = reference.kept[i];
      if (theirs.length < scene.boxes.length) scenesWithSuppression++;
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        mismatches.push({ scene: i, ours, theirs, input: scene });
      }
    });
    expect(mismatches.slice(0, 3)).toEqual([]);
    // The comparison must not be vacuous: most scenes have to suppress something.
    expect(scenesWithSuppression).toBeGreaterThan(scenes.length / 2);
  });

  it('with maxDetections keeps the first maxDetections of the uncapped result', () => {
    // OpenCV's top_k caps candidates *before* NMS, so the cap is checked against the uncapped output.
    scenes.forEach((scene, i) => {
      const cap = Math.floor(reference.kept[i].length / 2);
      const ours = batchedNmsIndices(toDetections(scene), {
        iouThreshold: scene.iouThreshold,
        maxDetections: cap,
      });
      expect(ours).toEqual(reference.kept[i].slice(0, cap));
    });
  });
});
