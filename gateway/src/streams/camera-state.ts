import { OnlineRidgeForecaster, type TrackPoint } from '@vision-forecast';
import { ByteTracker, type TrackedObject, type TrackerDetection } from '@vision-tracking';

interface TrackMemory {
  history: TrackPoint[];
  lastSeq: bigint;
  globalId: number;
  /** Capture time of the embedding last folded into the track's appearance (0: none yet). */
  embeddedAtMs: number;
}

/** Points of history a track keeps: 4 s at 10 FPS, enough for the 2 s forecasts. */
const HISTORY_POINTS = 40;
/** Frames a track is remembered after it was last matched (ByteTrack keeps lost tracks 30). */
const FORGET_AFTER_FRAMES = 60n;
/** Longest gap between frames the tracker bridges by prediction; a longer one starts afresh. */
const MAX_STEPS = 30;

/**
 * One camera's tracking state on a stream: a ByteTrack per class (ByteTrack associates boxes
 * without looking at classes; a person must not continue a car's track), camera-wide track ids,
 * each track's recent foot points and global id, and the camera's frame interval.
 */
export class CameraState {
  private readonly trackers = new Map<number, ByteTracker>();
  /** `${classId}:${tracker's id}` → the camera-wide id clients see. */
  private readonly trackIds = new Map<string, number>();
  private readonly tracks = new Map<number, TrackMemory>();
  /** Tracks forgotten since `takeEnded` was last called (re-identification frees their ids). */
  private ended: number[] = [];
  private nextTrackId = 1;
  /**
   * Forecasts learn per camera (where and how people move in this view), from the tracks' own
   * futures; the constant-velocity forecast until it has enough of them.
   */
  readonly forecaster = new OnlineRidgeForecaster();
  private lastSeq?: bigint;
  private lastCaptureMs?: number;
  /** Milliseconds per seq step, smoothed (the nominal frame interval). */
  private stepMs?: number;

  constructor(
    readonly cameraId: string,
    private readonly trackThreshold: number,
  ) {}

  /** Whether `seq` comes after every frame this camera has served (frames are served in order). */
  isAfterLast(seq: bigint): boolean {
    return this.lastSeq === undefined || seq > this.lastSeq;
  }

  /**
   * Advances every tracker to frame `seq` with its detections (grouped by class). Returns per
   * detection index its track (undefined: not tracked this frame) and the frame's step in ms.
   */
  update(
    seq: bigint,
    captureTimeMs: number,
    detections: readonly TrackerDetection[],
  ): { tracked: (TrackedMatch | undefined)[]; msPerStep: number } {
    const steps = this.stepsTo(seq, captureTimeMs);
    const byClass = new Map<number, number[]>();
    detections.forEach((detection, index) => {
      const indices = byClass.get(detection.classId) ?? [];
      indices.push(index);
      byClass.set(detection.classId, indices);
    });
    // Trackers of classes absent from this frame still advance: their tracks age and get lost.
    for (const classId of byClass.keys()) {
      if (!this.trackers.has(classId)) {
        this.trackers.set(classId, new ByteTracker({ trackThresh: this.trackThreshold }));
      }
    }
    const tracked = new Array<TrackedMatch | undefined>(detections.length);
    for (const [classId, tracker] of this.trackers) {
      const indices = byClass.get(classId) ?? [];
      const matched = tracker.update(
        indices.map((index) => detections[index]),
        steps,
      );
      for (const object of matched) {
        const index = indices[object.detectionIndex];
        tracked[index] = { ...object, trackId: this.cameraTrackId(classId, object.trackId) };
      }
    }
    const msPerStep = this.stepMs ?? 100;
    for (const match of tracked) {
      if (match) this.remember(match, seq, captureTimeMs);
    }
    this.forgetOld(seq);
    return { tracked, msPerStep };
  }

  history(trackId: number): readonly TrackPoint[] {
    return this.tracks.get(trackId)?.history ?? [];
  }

  globalId(trackId: number): number {
    return this.tracks.get(trackId)?.globalId ?? 0;
  }

  setGlobalId(trackId: number, globalId: number, embeddedAtMs: number): void {
    const memory = this.tracks.get(trackId);
    if (!memory) return;
    memory.globalId = globalId;
    memory.embeddedAtMs = embeddedAtMs;
  }

  /** When the track's appearance was last refreshed (0: never). */
  embeddedAt(trackId: number): number {
    return this.tracks.get(trackId)?.embeddedAtMs ?? 0;
  }

  takeEnded(): number[] {
    const ended = this.ended;
    this.ended = [];
    return ended;
  }

  get trackCount(): number {
    return this.tracks.size;
  }

  private stepsTo(seq: bigint, captureTimeMs: number): number {
    let steps = 1;
    if (this.lastSeq !== undefined && this.lastCaptureMs !== undefined) {
      const gap = Number(seq - this.lastSeq);
      steps = Math.min(Math.max(gap, 1), MAX_STEPS);
      const elapsed = captureTimeMs - this.lastCaptureMs;
      if (gap > 0 && elapsed > 0) {
        const sample = elapsed / gap;
        this.stepMs = this.stepMs === undefined ? sample : 0.9 * this.stepMs + 0.1 * sample;
      }
    }
    this.lastSeq = seq;
    this.lastCaptureMs = captureTimeMs;
    return steps;
  }

  private cameraTrackId(classId: number, trackerId: number): number {
    const key = `${classId}:${trackerId}`;
    let id = this.trackIds.get(key);
    if (id === undefined) {
      id = this.nextTrackId;
      this.nextTrackId += 1;
      this.trackIds.set(key, id);
    }
    return id;
  }

  private remember(match: TrackedMatch, seq: bigint, captureTimeMs: number): void {
    let memory = this.tracks.get(match.trackId);
    if (!memory) {
      memory = { history: [], lastSeq: seq, globalId: 0, embeddedAtMs: 0 };
      this.tracks.set(match.trackId, memory);
    }
    memory.lastSeq = seq;
    const [x1, , x2, y2] = match.box;
    const point = { tMs: captureTimeMs, x: (x1 + x2) / 2, y: y2 };
    const last = memory.history.at(-1);
    if (last && last.tMs >= point.tMs) return;
    memory.history.push(point);
    if (memory.history.length > HISTORY_POINTS) memory.history.shift();
    this.forecaster.observe(match.trackId, point);
  }

  private forgetOld(seq: bigint): void {
    for (const [trackId, memory] of this.tracks) {
      if (seq - memory.lastSeq > FORGET_AFTER_FRAMES) {
        this.tracks.delete(trackId);
        this.forecaster.endTrack(trackId);
        this.ended.push(trackId);
      }
    }
    for (const [key, trackId] of this.trackIds) {
      if (!this.tracks.has(trackId)) this.trackIds.delete(key);
    }
  }
}

/** A detection's track this frame, with the camera-wide id. */
export type TrackedMatch = TrackedObject;
