/**
 * Tracker cost for the stream benchmark: our ByteTracker and supervision 0.30.9's sv.ByteTrack on
 * the same recorded NanoDet detections of vtest.avi (libs/vision-tracking/test-reference/
 * vtest-detections.json), same settings (the defaults at the clip's 10 fps).
 *
 * Each side is warmed up on the whole sequence first, then timed per update: ours with
 * performance.now() around ByteTracker.update (inputs built beforehand), the reference inside
 * Python with perf_counter() around update_with_detections only (Detections built beforehand), so
 * neither side pays for process start, JSON or conversions. The two must group the detections
 * identically (what sv's tracker really associated), or the timing compares different work and
 * this throws.
 */
import { performance } from 'node:perf_hooks';
import { ByteTracker, type TrackerDetection } from '@vision-tracking';
import { vtestDetections } from '../../libs/vision-tracking/test/detection-sequences';
import { compareGroupings } from '../../libs/vision-tracking/test/id-agreement';
import {
  DEFAULT_SHARED,
  runReference,
  svEquivalentOptions,
  toTrackerInput,
} from '../../libs/vision-tracking/test/run-trackers';

export interface TrackerCost {
  frames: number;
  /** Mean time of one update, over the timed runs. */
  oursMsPerFrame: number;
  referenceMsPerFrame: number;
  /** oursMsPerFrame / referenceMsPerFrame: below 1 means ours is faster. */
  ratio: number;
}

/** Ours warms V8's JIT; CPython has none, so one pass (imports, caches) is enough there. */
const WARMUP_RUNS = 3;
const REFERENCE_WARMUP_RUNS = 1;
const TIMED_RUNS = 3;

function timeOurs(
  inputs: readonly TrackerDetection[][],
  options: ConstructorParameters<typeof ByteTracker>[0],
): { msPerFrame: number; ids: number[][] } {
  let totalMs = 0;
  let ids: number[][] = [];
  for (let run = 0; run < WARMUP_RUNS + TIMED_RUNS; run++) {
    const tracker = new ByteTracker(options);
    const runIds: number[][] = [];
    let runMs = 0;
    for (const frame of inputs) {
      const start = performance.now();
      const tracks = tracker.update(frame);
      runMs += performance.now() - start;
      const frameIds = new Array<number>(frame.length).fill(-1);
      for (const track of tracks) frameIds[track.detectionIndex] = track.trackId;
      runIds.push(frameIds);
    }
    if (run >= WARMUP_RUNS) totalMs += runMs;
    ids = runIds;
  }
  return { msPerFrame: totalMs / (TIMED_RUNS * inputs.length), ids };
}

export async function measureTrackerCost(): Promise<TrackerCost> {
  const sequence = vtestDetections();
  const inputs = sequence.frames.map(toTrackerInput);
  const ours = timeOurs(
    inputs,
    svEquivalentOptions({ ...DEFAULT_SHARED, frameRate: sequence.frameRate }),
  );

  const [reference] = (
    await Promise.resolve(
      runReference([{ label: 'vtest', sequence, settings: DEFAULT_SHARED }], {
        warmupRuns: REFERENCE_WARMUP_RUNS,
        timedRuns: TIMED_RUNS,
      }),
    )
  ).results;
  const referenceMs = reference.msPerFrame;

  const agreement = compareGroupings(ours.ids, reference.matched);
  if (agreement.agreeing !== agreement.tracked) {
    throw new Error(
      `trackers disagree on ${agreement.tracked - agreement.agreeing} of ${agreement.tracked} ` +
        'detections: the timings would compare different work',
    );
  }

  const referenceMsPerFrame = referenceMs.reduce((sum, ms) => sum + ms, 0) / referenceMs.length;
  return {
    frames: inputs.length,
    oursMsPerFrame: ours.msPerFrame,
    referenceMsPerFrame,
    ratio: ours.msPerFrame / referenceMsPerFrame,
  };
}
