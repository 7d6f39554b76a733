/**
 * ByteTrack (Zhang et al., ECCV 2022): tracking by associating every detection box, low-score ones
 * included. Per frame:
 *   1. tracked and lost tracks, moved ahead by their Kalman filters, take the high-score detections
 *      (IoU distance fused with the score, cost limit matchThresh);
 *   2. tracks still tracked but unmatched take the low-score detections (plain IoU, limit 0.5): an
 *      occluded person's weak detection keeps the track; unmatched ones become lost;
 *   3. unconfirmed tracks (born last frame) take the high-score leftovers (limit 0.7), or go;
 *   4. high-score leftovers scoring at least newTrackThresh start tracks;
 *   5. lost tracks older than the buffer go, and near-identical tracked/lost pairs are deduplicated.
 * Behaviour follows supervision 0.30.9's sv.ByteTrack (the conformance reference), including its
 * `score ≥ trackThresh` for the high set where the original has `>`, and its IoU without "+1".
 * Deliberate differences:
 * - each output names the detection its track was updated with; sv re-derives it afterwards by a
 *   second IoU assignment, which sometimes drops or moves it;
 * - duplicateIouDistance defaults to ByteTrack's 0.15 (sv: 0.05; the conformance test sets 0.05);
 * - `steps` > 1 (dropped frames), and the bounds on hostile input: maxDetections, maxTracks, and
 *   greedy matching of overlap groups too large to solve exactly (linear-assignment.ts); none is
 *   reached with ordinary input (the largest group in the vtest.avi run has 7 tracks and boxes);
 * - arithmetic is float64 throughout (sv rounds boxes to float32 and casts costs to float32), and
 *   assignment is munkres on lapjv's padded matrix (sv: scipy on a clipped one): the same optimum,
 *   so only exact ties could break differently.
 */
import { type Corners, iouDistances } from './box-geometry';
import { assignWithCostLimit } from './linear-assignment';
import { type FrameDetection, Track } from './track';
import { joined, without, withoutDuplicates } from './track-lists';
import {
  LOW_SCORE_MATCH_THRESH,
  type TrackerSettings,
  UNCONFIRMED_MATCH_THRESH,
  resolveSettings,
} from './tracker-settings';
import type { ByteTrackOptions, TrackedObject, TrackerDetection } from './types';

/** Matched pairs and leftovers of one association, as tracks and detections. */
interface Association {
  matches: [Track, FrameDetection][];
  unmatchedTracks: Track[];
  unmatchedDetections: FrameDetection[];
}

function associate(
  tracks: readonly Track[],
  detections: readonly FrameDetection[],
  limit: number,
  fuseScore: boolean,
): Association {
  const costs = iouDistances(
    tracks.map((track) => track.box),
    detections.map((detection) => detection.box),
    fuseScore ? detections.map((detection) => detection.score) : undefined,
  );
  const result = assignWithCostLimit(costs, tracks.length, detections.length, limit);
  return {
    matches: result.matches.map(([r, c]) => [tracks[r], detections[c]]),
    unmatchedTracks: result.unmatchedRows.map((r) => tracks[r]),
    unmatchedDetections: result.unmatchedCols.map((c) => detections[c]),
  };
}

function isUsable(detection: TrackerDetection): boolean {
  const [x1, y1, x2, y2] = detection.box;
  const finite = [x1, y1, x2, y2, detection.score].every(Number.isFinite);
  return finite && x2 > x1 && y2 > y1;
}

export class ByteTracker {
  private readonly settings: TrackerSettings;
  private frame = 0;
  private updates = 0;
  private nextTrackId = 1;
  /** Tracks matched in the latest frame, unconfirmed ones included. */
  private tracked: Track[] = [];
  /** Missed tracks within the buffer (plus, for one frame, those just removed, as in ByteTrack). */
  private lost: Track[] = [];
  private removedLastUpdate = new Set<Track>();

  constructor(options?: ByteTrackOptions) {
    this.settings = resolveSettings(options);
  }

  /** Tracks the tracker still holds and could match: tracked, unconfirmed and lost. */
  get activeTrackCount(): number {
    return this.tracked.length + this.lost.filter((track) => track.phase === 'lost').length;
  }

  /**
   * Associates one frame's detections and returns the confirmed tracks matched in it, by ascending
   * detectionIndex. `steps` is the number of frame intervals since the previous update (more than
   * 1 after dropped frames): the Kalman state moves that far and the lost buffer counts them.
   */
  update(detections: readonly TrackerDetection[], steps = 1): TrackedObject[] {
    if (!(Number.isInteger(steps) && steps >= 1)) {
      throw new RangeError(`steps must be a whole number ≥ 1, got ${steps}`);
    }
    this.frame += steps;
    this.updates++;
    const frame = this.frame;
    const { maxFramesLost } = this.settings;
    if (steps > 1) this.forgetExpired();

    const { high, low } = this.split(detections);
    const unconfirmed = this.tracked.filter((track) => !track.confirmed);
    const pool = joined(
      this.tracked.filter((track) => track.confirmed),
      this.lost,
    );
    for (const track of pool) track.predict(steps);

    const activated: Track[] = [];
    const refound: Track[] = [];
    const lostNow: Track[] = [];
    const removedNow: Track[] = [];

    const first = associate(pool, high, this.settings.matchThresh, true);
    for (const [track, detection] of first.matches) {
      (track.phase === 'tracked' ? activated : refound).push(track);
      track.match(detection, frame);
    }

    const stillTracked = first.unmatchedTracks.filter((track) => track.phase === 'tracked');
    const second = associate(stillTracked, low, LOW_SCORE_MATCH_THRESH, false);
    for (const [track, detection] of second.matches) {
      track.match(detection, frame);
      activated.push(track);
    }
    for (const track of second.unmatchedTracks) {
      track.phase = 'lost';
      lostNow.push(track);
    }

    const third = associate(unconfirmed, first.unmatchedDetections, UNCONFIRMED_MATCH_THRESH, true);
    for (const [track, detection] of third.matches) {
      track.match(detection, frame);
      track.trackId = this.nextTrackId++;
      activated.push(track);
    }
    for (const track of third.unmatchedTracks) {
      track.phase = 'removed';
      removedNow.push(track);
    }

    for (const detection of third.unmatchedDetections) {
      if (detection.score < this.settings.newTrackThresh) continue;
      const track = new Track(detection, frame);
      // Only the very first frame confirms at birth: later births need a second sighting.
      if (this.updates === 1) track.trackId = this.nextTrackId++;
      activated.push(track);
    }

    for (const track of this.lost) {
      if (frame - track.lastFrame > maxFramesLost) {
        track.phase = 'removed';
        removedNow.push(track);
      }
    }

    const tracked = joined(
      joined(
        this.tracked.filter((track) => track.phase === 'tracked'),
        activated,
      ),
      refound,
    );
    const lost = without(
      [...without(this.lost, new Set(tracked)), ...lostNow],
      this.removedLastUpdate,
    );
    this.removedLastUpdate = new Set(removedNow);
    const kept = withoutDuplicates(tracked, lost, this.settings.duplicateIouDistance);
    this.tracked = kept.tracked;
    this.lost = kept.lost;
    this.enforceTrackLimit(frame);

    return this.tracked
      .filter((track) => track.confirmed && track.lastFrame === frame)
      .map((track) => toTrackedObject(track, frame))
      .sort((a, b) => a.detectionIndex - b.detectionIndex);
  }

  /**
   * After a gap of several frames, drops tracks last matched more than the buffer ago: had the
   * frames come without detections, they would have been lost and then removed in between.
   */
  private forgetExpired(): void {
    const expired = (track: Track): boolean =>
      this.frame - track.lastFrame > this.settings.maxFramesLost;
    for (const track of [...this.tracked, ...this.lost]) {
      if (expired(track)) track.phase = 'removed';
    }
    this.tracked = this.tracked.filter((track) => track.phase !== 'removed');
    this.lost = this.lost.filter((track) => track.phase !== 'removed');
  }

  /** Usable detections (finite, positive size), at most maxDetections, split by score. */
  private split(detections: readonly TrackerDetection[]): {
    high: FrameDetection[];
    low: FrameDetection[];
  } {
    let usable: FrameDetection[] = [];
    detections.forEach((detection, inputIndex) => {
      if (!isUsable(detection)) return;
      const box: Corners = detection.box;
      usable.push({ box, score: detection.score, classId: detection.classId, inputIndex });
    });
    if (usable.length > this.settings.maxDetections) {
      const best = new Set(
        [...usable]
          .sort((a, b) => b.score - a.score || a.inputIndex - b.inputIndex)
          .slice(0, this.settings.maxDetections),
      );
      usable = usable.filter((detection) => best.has(detection));
    }
    const { trackThresh, lowThresh } = this.settings;
    return {
      high: usable.filter((detection) => detection.score >= trackThresh),
      low: usable.filter(
        (detection) => detection.score > lowThresh && detection.score < trackThresh,
      ),
    };
  }

  /**
   * Keeps at most maxTracks: the longest-lost tracks go first, then (only when the frame itself
   * brings more than the limit) the lowest-scoring tracks born in this frame.
   */
  private enforceTrackLimit(frame: number): void {
    let excess = this.tracked.length + this.lost.length - this.settings.maxTracks;
    if (excess <= 0) return;
    const oldestLost = [...this.lost]
      .sort((a, b) => a.lastFrame - b.lastFrame)
      .slice(0, Math.min(excess, this.lost.length));
    this.lost = without(this.lost, new Set(oldestLost));
    excess -= oldestLost.length;
    if (excess <= 0) return;
    const weakestNew = this.tracked
      .filter((track) => track.startFrame === frame)
      .sort((a, b) => a.score - b.score)
      .slice(0, excess);
    this.tracked = without(this.tracked, new Set(weakestNew));
  }
}

function toTrackedObject(track: Track, frame: number): TrackedObject {
  return {
    trackId: track.trackId,
    detectionIndex: track.detectionIndex,
    box: track.box,
    score: track.score,
    classId: track.classId,
    velocity: track.velocity,
    hits: track.hits,
    ageFrames: frame - track.startFrame,
  };
}
