import type { DetectedObject, DetectResult } from '../../gateway/src/vision/detect-types';
import { seededRandom, shuffled } from '@test-support';
import { unpad, type Box } from './boxes';
import type { Detector } from './detector';
import { padToAspect, type Still, type VideoFrame } from './media';
import { MODES, type Mode, type StudySettings } from './settings';

export interface Detection {
  label: string;
  score: number;
  box: Box;
}

/** Stage times of one detect call (decode, preprocess, infer, …, total), from the pipeline. */
export type Timings = Record<string, number>;

export interface OriginalRun {
  /** At the operating point (score ≥ 0.35, at most 100), as the API answers by default. */
  op: Detection[];
  /** At the low threshold (score ≥ 0.1, at most 1000). */
  low: Detection[];
  timings: Timings;
  /** The image size the pipeline reported (after EXIF orientation). */
  image: { width: number; height: number };
}

export interface VariantRun {
  /** Low-threshold detections on the padded frame, mapped back into the original frame. */
  low: Detection[];
  /** Detections (any class, score ≥ the operating threshold) lying wholly in the padding. */
  inPadding: number;
  timings: Timings;
}

export interface FrameRecord {
  index: number;
  /** The order the two modes ran in for this frame (seeded shuffle, so drift favours neither). */
  order: Mode[];
  original: Record<Mode, OriginalRun>;
  variants: Record<string, Record<Mode, VariantRun>>;
}

export interface StillRecord {
  name: string;
  width: number;
  height: number;
  runs: Record<Mode, OriginalRun>;
}

export interface Collected {
  frameSize: { width: number; height: number };
  frames: FrameRecord[];
  stills: StillRecord[];
  /** Padded canvas size of each aspect variant. */
  variantSizes: Record<string, { width: number; height: number }>;
  /** (frame or still, mode) pairs where filtering the low-threshold answer at 0.35 did not give the 0.35 answer. */
  thresholdIdentityMismatches: string[];
  /** Low-threshold detections on originals and stills reported with a score of exactly 0.35. */
  thresholdTies: number;
  detectCalls: number;
}

const toDetections = (result: DetectResult): Detection[] =>
  result.detections.map((d: DetectedObject) => ({ label: d.label, score: d.score, box: d.box }));

/**
 * Whether two answers are the same, ignoring detections scored exactly `tie`: the API rounds
 * scores to 4 decimals, so a reported 0.35 may have been just below the threshold (dropped by
 * the 0.35 call) or just above it.
 */
function sameDetections(a: readonly Detection[], b: readonly Detection[], tie: number): boolean {
  const key = (d: Detection): string => `${d.label}|${d.score}|${d.box.join(',')}`;
  const left = a
    .filter((d) => d.score !== tie)
    .map(key)
    .sort();
  const right = b
    .filter((d) => d.score !== tie)
    .map(key)
    .sort();
  return left.length === right.length && left.every((value, i) => value === right[i]);
}

/**
 * Runs every detect call of the study. For each frame, in a seeded random mode order: the original
 * frame at the operating point and at the low threshold, then each aspect variant at the low
 * threshold (its operating-point answer is the low answer filtered at 0.35, which is exact because
 * NMS only ever suppresses a box in favour of a higher-scoring one; the originals check this).
 */
export async function collect(
  detector: Detector,
  settings: StudySettings,
  frames: readonly VideoFrame[],
  stills: readonly Still[],
  log: (message: string) => void,
): Promise<Collected> {
  const random = seededRandom(settings.seed);
  const mismatches: string[] = [];
  let ties = 0;
  let detectCalls = 0;
  const detect = async (image: Buffer, mode: Mode, low: boolean): Promise<DetectResult> => {
    detectCalls += 1;
    return low
      ? detector.detect(image, mode, settings.lowScoreThreshold, settings.lowMaxDetections)
      : detector.detect(image, mode, settings.scoreThreshold, settings.maxDetections);
  };
  const runOriginal = async (name: string, image: Buffer, mode: Mode): Promise<OriginalRun> => {
    const op = await detect(image, mode, false);
    const low = toDetections(await detect(image, mode, true));
    const opDetections = toDetections(op);
    const derived = low.filter((d) => d.score >= settings.scoreThreshold);
    ties += low.filter((d) => d.score === settings.scoreThreshold).length;
    if (!sameDetections(opDetections, derived, settings.scoreThreshold))
      mismatches.push(`${name} ${mode}`);
    return { op: opDetections, low, timings: op.timingsMs, image: op.image };
  };

  const first = await detect(frames[0].bytes, 'stretch', false);
  const frameSize = first.image;
  const variantSizes: Collected['variantSizes'] = {};
  const records: FrameRecord[] = [];
  const started = performance.now();
  for (const frame of frames) {
    const order = shuffled(MODES, random);
    const original = {} as Record<Mode, OriginalRun>;
    for (const mode of order)
      original[mode] = await runOriginal(`frame ${frame.index}`, frame.bytes, mode);
    const variants: FrameRecord['variants'] = {};
    for (const variant of settings.variants) {
      const padded = await padToAspect(
        frame.bytes,
        frameSize.width,
        frameSize.height,
        variant,
        settings.padGrey,
      );
      variantSizes[variant.name] = { width: padded.width, height: padded.height };
      const runs = {} as Record<Mode, VariantRun>;
      for (const mode of order) {
        const result = await detect(padded.bytes, mode, true);
        const low: Detection[] = [];
        let inPadding = 0;
        for (const d of result.detections) {
          const box = unpad(
            d.box,
            padded.offsetX,
            padded.offsetY,
            frameSize.width,
            frameSize.height,
          );
          if (box) low.push({ label: d.label, score: d.score, box });
          else if (d.score >= settings.scoreThreshold) inPadding += 1;
        }
        runs[mode] = { low, inPadding, timings: result.timingsMs };
      }
      variants[variant.name] = runs;
    }
    records.push({ index: frame.index, order, original, variants });
    if (records.length % 25 === 0 || records.length === frames.length) {
      const seconds = (performance.now() - started) / 1000;
      log(
        `${records.length}/${frames.length} frames, ${detectCalls} detect calls, ${seconds.toFixed(0)} s`,
      );
    }
  }

  const stillRecords: StillRecord[] = [];
  for (const still of stills) {
    const runs = {} as Record<Mode, OriginalRun>;
    for (const mode of shuffled(MODES, random))
      runs[mode] = await runOriginal(still.name, still.bytes, mode);
    stillRecords.push({ name: still.name, ...runs.stretch.image, runs });
  }

  return {
    frameSize,
    frames: records,
    stills: stillRecords,
    variantSizes,
    thresholdIdentityMismatches: mismatches,
    thresholdTies: ties,
    detectCalls,
  };
}
