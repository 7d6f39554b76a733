/**
 * One observation of a tracked object: where it stood at `tMs` (milliseconds on the stream's clock).
 * `x`, `y` are the box's bottom-centre (foot point) in image pixels: the point that moves on the
 * ground plane. The box centre also moves when the box grows, shrinks or changes with pose, which
 * is not motion of the person.
 */
export interface TrackPoint {
  readonly tMs: number;
  readonly x: number;
  readonly y: number;
}

/** A track's identity inside one camera stream (the tracker's id). */
export type TrackId = string | number;

/** Predicts where a track will be after each horizon, from its own recent history. */
export interface Forecaster {
  /**
   * `history`: the track's observations, oldest first, strictly increasing `tMs`, intervals may be
   * irregular (dropped frames). Only the last MAX_HISTORY_POINTS are read. Returns one point per
   * horizon, in the order given, at `tMs = last.tMs + horizon`. Default horizons: 500, 1000, 2000 ms.
   * Throws RangeError on empty or non-finite history, unordered times, or horizons out of bounds.
   */
  forecast(history: readonly TrackPoint[], horizonsMs?: readonly number[]): TrackPoint[];
}

/**
 * A forecaster that also learns from the camera's past tracks. The gateway keeps one per camera
 * stream and feeds it every track update (`observe`) and every lost track (`endTrack`).
 */
export interface LearningForecaster extends Forecaster {
  /** One new observation of a track, later than its previous one. */
  observe(trackId: TrackId, point: TrackPoint): void;
  /** The track has ended: forget its pending state. */
  endTrack(trackId: TrackId): void;
}

export function isLearningForecaster(f: Forecaster): f is LearningForecaster {
  const candidate = f as Partial<LearningForecaster>;
  return typeof candidate.observe === 'function' && typeof candidate.endTrack === 'function';
}
