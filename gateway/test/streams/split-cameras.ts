import type { FrameResult } from '@contracts/generated/vision/v1/streams_pb';
import { extractVideoFrames } from '@test-support';
import { iou } from '@vision-math';
import {
  globalIdPrecisionRecall,
  type GlobalIdAssignment,
  type PairwiseScores,
  type TrackRef,
} from '@vision-reid';
import { openTrackStream, streamConfig } from './track-client';

/**
 * vtest.avi cut into two overlapping "cameras": left shows x 0..480, right x 288..768 of the
 * same scene, so people in x 288..480 are in both at once. The right camera may lag the left by
 * `shiftFrames` (a time-shifted variant: the same person appears there later).
 */
export const LEFT = { cameraId: 'left', crop: '480:576:0:0', x: 0 };
export const RIGHT = { cameraId: 'right', crop: '480:576:288:0', x: 288 };
const FRAME_MS = 100;
/** Boxes of the two cameras that overlap this much in scene coordinates are one person. */
const SAME_PERSON_IOU = 0.5;
/** Frames a pair must overlap in to count as one person (not a passing coincidence). */
const SAME_PERSON_FRAMES = 3;

export interface SplitCameraRun {
  scores: PairwiseScores;
  samePerson: [TrackRef, TrackRef][];
  assignments: GlobalIdAssignment[];
  results: { left: FrameResult[]; right: FrameResult[] };
}

/**
 * Streams both cameras through the gateway at 10 FPS of capture time, as one tenant, and scores
 * the global ids it gave against the ground truth the geometry gives.
 */
export async function runSplitCameras(
  address: string,
  { frames, shiftFrames = 0, start = 0 }: { frames: number; shiftFrames?: number; start?: number },
): Promise<SplitCameraRun> {
  const left = extractVideoFrames('vtest.avi', { start, count: frames, crop: LEFT.crop });
  const right = extractVideoFrames('vtest.avi', { start, count: frames, crop: RIGHT.crop });
  const sessions = [LEFT, RIGHT].map(() => openTrackStream(address));
  const t0 = Date.now();
  for (let tick = 0; tick < frames + shiftFrames; tick += 1) {
    const captureTimeMs = BigInt(t0 + tick * FRAME_MS);
    const config = (first: boolean) =>
      first ? streamConfig({ policy: 3, maxQueuedFrames: 64, frameDeadlineMs: 60_000 }) : undefined;
    if (tick < frames) {
      sessions[0].send({
        config: config(tick === 0),
        cameraId: LEFT.cameraId,
        seq: BigInt(tick + 1),
        captureTimeMs,
        image: left[tick],
      });
    }
    const rightIndex = tick - shiftFrames;
    if (rightIndex >= 0) {
      sessions[1].send({
        config: config(rightIndex === 0),
        cameraId: RIGHT.cameraId,
        seq: BigInt(rightIndex + 1),
        captureTimeMs,
        image: right[rightIndex],
      });
    }
    await new Promise((resolve) => setTimeout(resolve, FRAME_MS));
  }
  for (const session of sessions) session.close();
  const statuses = await Promise.all(sessions.map((session) => session.closed));
  if (statuses.some((status) => status !== null)) {
    throw new Error(`a camera stream failed: ${statuses.map((s) => s?.details).join('; ')}`);
  }
  const [leftResults, rightResults] = sessions.map((session) =>
    session.results.filter((result) => result.cameraId),
  );
  const samePerson = groundTruth(leftResults, rightResults);
  const assignments = lastGlobalIds([...leftResults, ...rightResults]);
  return {
    scores: globalIdPrecisionRecall(samePerson, assignments),
    samePerson,
    assignments,
    results: { left: leftResults, right: rightResults },
  };
}

/** Pairs of (left, right) tracks whose boxes coincide in scene coordinates for a few frames. */
function groundTruth(left: FrameResult[], right: FrameResult[]): [TrackRef, TrackRef][] {
  // Both cameras number frames by the scene's frame, so equal seqs show the same moment.
  const rightBySeq = new Map(right.map((result) => [result.seq, result]));
  const overlaps = new Map<string, number>();
  for (const leftResult of left) {
    const rightResult = rightBySeq.get(leftResult.seq);
    if (!rightResult) continue;
    for (const a of leftResult.objects) {
      for (const b of rightResult.objects) {
        if (iou(sceneBox(a, LEFT.x), sceneBox(b, RIGHT.x)) < SAME_PERSON_IOU) continue;
        const key = `${a.trackId}:${b.trackId}`;
        overlaps.set(key, (overlaps.get(key) ?? 0) + 1);
      }
    }
  }
  return [...overlaps]
    .filter(([, count]) => count >= SAME_PERSON_FRAMES)
    .map(([key]) => {
      const [a, b] = key.split(':').map(Number);
      return [
        { cameraId: LEFT.cameraId, trackId: a },
        { cameraId: RIGHT.cameraId, trackId: b },
      ];
    });
}

/** Each track's global id as last answered (0: it never got one, left out). */
function lastGlobalIds(results: FrameResult[]): GlobalIdAssignment[] {
  const byTrack = new Map<string, GlobalIdAssignment>();
  for (const result of results) {
    for (const object of result.objects) {
      if (object.globalId === 0n) continue;
      byTrack.set(`${result.cameraId}:${object.trackId}`, {
        cameraId: result.cameraId,
        trackId: Number(object.trackId),
        globalId: Number(object.globalId),
      });
    }
  }
  return [...byTrack.values()];
}

function sceneBox(object: FrameResult['objects'][number], offsetX: number) {
  const { x1, y1, x2, y2 } = object.box!;
  return { x1: x1 + offsetX, y1, x2: x2 + offsetX, y2 };
}
