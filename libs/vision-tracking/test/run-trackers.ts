/** Runs our ByteTracker and supervision's on the same detection sequence, with the same settings. */
import { ByteTracker, type ByteTrackOptions, type TrackedObject } from '../src';
import type { DetectionSequence, SequenceBox } from './detection-sequences';
import type { FrameIds } from './id-agreement';
import { referencePython, runReferenceScript } from './reference-python';

/** The settings sv.ByteTrack has; the rest of ours are fixed to what sv does. */
export interface SharedSettings {
  trackThresh: number;
  matchThresh: number;
  trackBuffer: number;
  frameRate: number;
}

export const DEFAULT_SHARED: Omit<SharedSettings, 'frameRate'> = {
  trackThresh: 0.25,
  matchThresh: 0.8,
  trackBuffer: 30,
};

/**
 * Ours configured as sv.ByteTrack 0.30.9 behaves: low threshold 0.1, births at trackThresh + 0.1
 * (our defaults), and sv's duplicate distance 0.05 where ByteTrack (our default) has 0.15.
 */
export function svEquivalentOptions(settings: SharedSettings): ByteTrackOptions {
  return { ...settings, duplicateIouDistance: 0.05 };
}

export function toTrackerInput(frame: readonly SequenceBox[]) {
  return frame.map(([x1, y1, x2, y2, score]) => ({
    box: [x1, y1, x2, y2] as const,
    score,
    classId: 0,
  }));
}

export interface OurRun {
  ids: FrameIds;
  outputs: TrackedObject[][];
}

export function runOurs(sequence: DetectionSequence, options: ByteTrackOptions): OurRun {
  const tracker = new ByteTracker(options);
  const outputs = sequence.frames.map((frame) => tracker.update(toTrackerInput(frame)));
  const ids = outputs.map((tracks, f) => {
    const frameIds = new Array<number>(sequence.frames[f].length).fill(-1);
    for (const track of tracks) frameIds[track.detectionIndex] = track.trackId;
    return frameIds;
  });
  return { ids, outputs };
}

export interface ReferenceRun {
  /** sv's public output (update_with_detections), per input detection. */
  ids: FrameIds;
  /** The detection each track really consumed inside sv (instrumented). */
  matched: FrameIds;
  msPerFrame: number[];
}

/** A sequence and the settings both trackers get for it. */
export interface TrackerCase {
  label: string;
  sequence: DetectionSequence;
  settings: Omit<SharedSettings, 'frameRate'>;
}

/** One Python run for all cases (importing supervision takes over a second). */
export function runReference(
  cases: readonly TrackerCase[],
  timing: { warmupRuns: number; timedRuns: number } = { warmupRuns: 0, timedRuns: 1 },
): { supervision: string; results: ReferenceRun[] } {
  return runReferenceScript(referencePython, 'bytetrack_reference.py', {
    ...timing,
    runs: cases.map(({ sequence, settings }) => ({
      settings: { ...settings, frameRate: sequence.frameRate },
      frames: sequence.frames,
    })),
  });
}

/** MOT15 rows [frame (1-based), id, x, y, w, h] of the detections given ids, with their own boxes. */
export function motRows(sequence: DetectionSequence, ids: FrameIds): number[][] {
  const rows: number[][] = [];
  ids.forEach((frameIds, f) =>
    frameIds.forEach((id, d) => {
      if (id < 0) return;
      const [x1, y1, x2, y2] = sequence.frames[f][d];
      rows.push([f + 1, id, x1, y1, x2 - x1, y2 - y1]);
    }),
  );
  return rows;
}
