/**
 * Detection sequences for the tracker conformance tests, all seeded: made from the MOT15 files that
 * motmetrics 1.4.0 ships (TUD-Campus and TUD-Stadtmitte ground truth, and the tracker output
 * test.txt) and from the recorded NanoDet detections of vtest.avi.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { seededRandom, shuffled } from '@test-support';
import { TEST_REFERENCE } from './reference-python';

/** [x1, y1, x2, y2, score]: what both trackers are given per detection. */
export type SequenceBox = [number, number, number, number, number];

export interface DetectionSequence {
  name: string;
  /** The MOT ground truth it is scored against, when it has one. */
  groundTruth?: 'TUD-Campus' | 'TUD-Stadtmitte';
  frameRate: number;
  /** Boxes per frame; frame i is MOT frame i + 1. */
  frames: SequenceBox[][];
}

/** MOT15 csv rows (frame, id, x, y, w, h, ...) grouped by frame; frames are 1-based. */
export function readMotFile(file: string): Map<number, { id: number; box: SequenceBox }[]> {
  const byFrame = new Map<number, { id: number; box: SequenceBox }[]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const [frame, id, x, y, w, h] = line.split(',').map(Number);
    const rows = byFrame.get(frame) ?? [];
    rows.push({ id, box: [x, y, x + w, y + h, 1] });
    byFrame.set(frame, rows);
  }
  return byFrame;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

/** Standard normal from two uniforms (Box–Muller). */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * A detector's score for a box: mostly confident, sometimes in the low set (0.1–0.25, what
 * ByteTrack's second association is for), sometimes high but below the birth threshold, rarely
 * under 0.1 (ignored by both trackers).
 */
function detectorScore(random: () => number): number {
  const draw = random();
  const [low, high] =
    draw < 0.62
      ? [0.36, 0.95]
      : draw < 0.84
        ? [0.11, 0.24]
        : draw < 0.95
          ? [0.26, 0.34]
          : [0.02, 0.09];
  return Math.round((low + (high - low) * random()) * 10_000) / 10_000;
}

export interface JitterSettings {
  seed: number;
  /** Box corners move by this fraction of the box size (one standard deviation). */
  jitter: number;
  /** Chance that a box is missing from one frame. */
  dropChance: number;
  /** Chance per frame that an object starts being unseen for 2–12 frames (an occlusion). */
  occlusionChance: number;
  /** Mean number of false boxes per frame (clutter), anywhere in the image. */
  falseBoxesPerFrame: number;
}

export const TUD_JITTER: JitterSettings = {
  seed: 20260314,
  jitter: 0.03,
  dropChance: 0.05,
  occlusionChance: 0.02,
  falseBoxesPerFrame: 0.6,
};

/**
 * Ground-truth boxes turned into a detector's output: jittered, some dropped, objects occluded for
 * a while, scores spread over the high and low sets, clutter added; order shuffled per frame
 * (a detector sorts by score, not by object).
 */
export function jitteredGroundTruth(
  groundTruth: 'TUD-Campus' | 'TUD-Stadtmitte',
  dataDir: string,
  settings: JitterSettings = TUD_JITTER,
): DetectionSequence {
  const random = seededRandom(settings.seed ^ (groundTruth === 'TUD-Campus' ? 1 : 2));
  const byFrame = readMotFile(path.join(dataDir, groundTruth, 'gt.txt'));
  const lastFrame = Math.max(...byFrame.keys());
  const occludedUntil = new Map<number, number>();
  const frames: SequenceBox[][] = [];
  for (let frame = 1; frame <= lastFrame; frame++) {
    const boxes: SequenceBox[] = [];
    for (const { id, box } of byFrame.get(frame) ?? []) {
      if (random() < settings.occlusionChance) {
        occludedUntil.set(id, frame + 2 + Math.floor(random() * 11));
      }
      if ((occludedUntil.get(id) ?? 0) > frame || random() < settings.dropChance) continue;
      const [x1, y1, x2, y2] = box;
      const sx = settings.jitter * (x2 - x1);
      const sy = settings.jitter * (y2 - y1);
      boxes.push([
        round2(x1 + sx * gaussian(random)),
        round2(y1 + sy * gaussian(random)),
        round2(x2 + sx * gaussian(random)),
        round2(y2 + sy * gaussian(random)),
        detectorScore(random),
      ]);
    }
    const clutter = Math.floor(settings.falseBoxesPerFrame * 2 * random() + random());
    for (let k = 0; k < clutter; k++) {
      const w = 30 + 70 * random();
      const h = 2.4 * w * (0.8 + 0.4 * random());
      const x = 640 * random();
      const y = 480 * random() - h / 2;
      boxes.push([round2(x), round2(y), round2(x + w), round2(y + h), detectorScore(random)]);
    }
    frames.push(shuffled(boxes, random));
  }
  return { name: `${groundTruth} gt, jittered`, groundTruth, frameRate: 25, frames };
}

/** The tracker output bundled as test.txt, used as detections with seeded scores. */
export function bundledTrackerOutput(
  groundTruth: 'TUD-Campus' | 'TUD-Stadtmitte',
  dataDir: string,
  seed = 77,
): DetectionSequence {
  const random = seededRandom(seed ^ (groundTruth === 'TUD-Campus' ? 1 : 2));
  const byFrame = readMotFile(path.join(dataDir, groundTruth, 'test.txt'));
  const lastFrame = Math.max(...readMotFile(path.join(dataDir, groundTruth, 'gt.txt')).keys());
  const frames: SequenceBox[][] = [];
  for (let frame = 1; frame <= lastFrame; frame++) {
    frames.push(
      (byFrame.get(frame) ?? []).map(({ box: [x1, y1, x2, y2] }) => [
        x1,
        y1,
        x2,
        y2,
        detectorScore(random),
      ]),
    );
  }
  return { name: `${groundTruth} test.txt as detections`, groundTruth, frameRate: 25, frames };
}

export interface VtestFixture {
  fps: number;
  modelSha256: string;
  frames: { frame: number; boxes: SequenceBox[] }[];
}

export const VTEST_FIXTURE = path.join(TEST_REFERENCE, 'vtest-detections.json');

/** NanoDet's person detections on every frame of vtest.avi (scripts/record-vtest-detections.ts). */
export function vtestDetections(): DetectionSequence {
  const fixture = JSON.parse(readFileSync(VTEST_FIXTURE, 'utf8')) as VtestFixture;
  return {
    name: 'vtest.avi NanoDet detections',
    frameRate: fixture.fps,
    frames: fixture.frames.map((frame) => frame.boxes),
  };
}
