import { type TrackPoint } from './types';

/** A forecast origin whose future is not yet known for every learned horizon. */
export interface PendingOrigin {
  readonly tMs: number;
  readonly x: number;
  readonly y: number;
  /** Window velocities at the origin: x components, then y components (px/ms). */
  readonly features: Float64Array;
}

/** Drop consumed entries from the front in batches, so removal is amortised O(1). */
const COMPACT_AFTER = 32;

/**
 * What the online learner keeps per track: its recent observations (enough to compute the window
 * velocities) and its pending origins, with one cursor per learned horizon pointing at the first
 * origin not yet turned into a training sample for that horizon. Origins are in time order, so each
 * horizon consumes them front to back: every origin is visited once per horizon in all.
 */
export class TrackState {
  readonly points: TrackPoint[] = [];
  readonly origins: PendingOrigin[] = [];
  readonly cursors: Int32Array;
  /** Time of the track's first observation (points may have been dropped since). */
  firstTMs = Number.NaN;

  constructor(horizons: number) {
    this.cursors = new Int32Array(horizons);
  }

  get last(): TrackPoint | undefined {
    return this.points[this.points.length - 1];
  }

  /** Appends an observation and forgets those older than `keepMs` before it (one kept for interpolation). */
  pushPoint(point: TrackPoint, keepMs: number, maxPoints: number): void {
    if (this.points.length === 0) this.firstTMs = point.tMs;
    this.points.push(point);
    const from = point.tMs - keepMs;
    let drop = 0;
    while (drop + 1 < this.points.length && this.points[drop + 1].tMs <= from) drop++;
    const over = this.points.length - maxPoints;
    if (over > drop) drop = over;
    if (drop >= COMPACT_AFTER || this.points.length > maxPoints) this.points.splice(0, drop);
  }

  /** Origins before every cursor are done; drop them (in batches) and keep at most `maxPending`. */
  compactOrigins(maxPending: number): void {
    const cursors = this.cursors;
    let done = this.origins.length;
    for (let k = 0; k < cursors.length; k++) if (cursors[k] < done) done = cursors[k];
    // Too many pending (observations stopped arriving in time order would be a bug upstream, but
    // memory must stay bounded regardless): give up on the oldest.
    const excess = this.origins.length - done - maxPending;
    if (excess > 0) {
      done += excess;
      for (let k = 0; k < cursors.length; k++) if (cursors[k] < done) cursors[k] = done;
    }
    if (done >= COMPACT_AFTER || excess > 0) {
      this.origins.splice(0, done);
      for (let k = 0; k < cursors.length; k++) cursors[k] -= done;
    }
  }
}
