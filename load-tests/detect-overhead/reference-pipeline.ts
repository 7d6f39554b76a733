import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { SAMPLE_MEDIA } from '@test-support';
import { matchedDetections, type Detection } from '@vision-math';
import type { DetectResult } from '../../gateway/src/vision/detect-types';
import type { SampleImage } from './images';
import { MODEL_FILE, REPO_ROOT } from './settings';

/** The project's venv (scripts/setup.sh): OpenCV and numpy, no ONNX Runtime. */
const PYTHON = resolve(REPO_ROOT, '.venv/bin/python');
const SCRIPT = resolve(__dirname, 'reference_pipeline.py');
const execFileAsync = promisify(execFile);
export const REFERENCE_STAGES = ['decode', 'preprocess', 'model', 'postprocess'] as const;
type ReferenceStage = (typeof REFERENCE_STAGES)[number];

/** What the gateway's detect does for these images, for the reference to do alike. */
export interface ReferenceSpec {
  iterations: number;
  warmup: number;
  inputWidth: number;
  inputHeight: number;
  resize: 'letterbox' | 'stretch';
  strides: number[];
  regMax: number;
  scoreThreshold: number;
  iouThreshold: number;
  maxDetections: number;
  topK: number;
  centerOffset: number;
}

interface ReferenceDetection {
  classId: number;
  score: number;
  box: [number, number, number, number];
}

export interface ReferenceImage {
  name: string;
  width: number;
  height: number;
  /** Mean CPU ms per call of each stage (every thread of the Python process). */
  cpuMs: Record<ReferenceStage, number>;
  detections: ReferenceDetection[];
}

export interface ReferenceResult {
  spec: ReferenceSpec;
  versions: { opencv: string; numpy: string };
  images: ReferenceImage[];
}

/**
 * Runs reference_pipeline.py (OpenCV + numpy, one thread) on the benchmark's images and model
 * file, after the closed-loop cells so it never competes with them for the cores.
 */
export async function runReferencePipeline(
  images: readonly SampleImage[],
  spec: ReferenceSpec,
): Promise<ReferenceResult> {
  const input = {
    ...spec,
    model: MODEL_FILE,
    images: images.map((image) => ({ name: image.name, path: resolve(SAMPLE_MEDIA, image.name) })),
  };
  const child = execFileAsync(PYTHON, [SCRIPT], { maxBuffer: 16 * 1024 * 1024 });
  child.child.stdin?.end(JSON.stringify(input));
  const { stdout } = await child;
  const output = JSON.parse(stdout) as Omit<ReferenceResult, 'spec'>;
  return { spec, ...output };
}

/** The reference's CPU per call excluding its model, mean over the images. */
export function referenceExcludingModelMs(result: ReferenceResult): number {
  const perImage = result.images.map(
    ({ cpuMs }) => cpuMs.decode + cpuMs.preprocess + cpuMs.postprocess,
  );
  return perImage.reduce((sum, ms) => sum + ms, 0) / perImage.length;
}

/** How the reference's detections compare with the gateway's on one image. */
export interface ReferenceAgreement {
  image: string;
  gateway: number;
  reference: number;
  /** Same class, IoU ≥ 0.5, one-to-one (COCO's greedy matching). */
  matched: number;
  /** Largest coordinate difference (px) between a gateway detection and its matched reference. */
  maxBoxDifferencePx: number;
}

/**
 * Same classes and boxes within a few pixels is the expectation: the reference resizes with
 * OpenCV's bilinear filter, the gateway with libvips' Lanczos-3, and runs the model through
 * cv2.dnn instead of ONNX Runtime.
 */
export function compareWithReference(
  gateway: DetectResult,
  reference: ReferenceImage,
): ReferenceAgreement {
  const ours = gateway.detections.map(asDetection);
  const theirs = reference.detections.map(asDetection);
  let maxDifference = 0;
  const taken = new Set<number>();
  for (const detection of ours) {
    // Its nearest unmatched same-class reference box, by largest coordinate difference.
    let best = -1;
    let bestDifference = Infinity;
    theirs.forEach((other, index) => {
      if (taken.has(index) || other.classId !== detection.classId) return;
      const difference = boxDifference(detection, other);
      if (difference < bestDifference) {
        best = index;
        bestDifference = difference;
      }
    });
    if (best < 0) continue;
    taken.add(best);
    maxDifference = Math.max(maxDifference, bestDifference);
  }
  return {
    image: reference.name,
    gateway: ours.length,
    reference: theirs.length,
    matched: matchedDetections(theirs, ours),
    maxBoxDifferencePx: Math.round(maxDifference * 100) / 100,
  };
}

function asDetection({
  classId,
  score,
  box,
}: {
  classId: number;
  score: number;
  box: readonly number[];
}): Detection {
  return { classId, score, x1: box[0], y1: box[1], x2: box[2], y2: box[3] };
}

function boxDifference(a: Detection, b: Detection): number {
  return Math.max(
    Math.abs(a.x1 - b.x1),
    Math.abs(a.y1 - b.y1),
    Math.abs(a.x2 - b.x2),
    Math.abs(a.y2 - b.y2),
  );
}
