import { type TrackPoint } from './types';

/** A velocity in pixels per millisecond. */
export interface Velocity {
  vx: number;
  vy: number;
}

/**
 * Mean velocity over the last `windowMs` of `points[0..end]` (inclusive): the displacement from the
 * position at `points[end].tMs − windowMs` (linearly interpolated between the observations around
 * it) to `points[end]`, divided by the elapsed time. Using time stamps, not observation counts, keeps
 * it right when frames are dropped. A history shorter than the window uses its whole span; a single
 * observation gives zero. Writes into `out` so hot paths allocate nothing.
 */
export function windowVelocity(
  points: readonly TrackPoint[],
  end: number,
  windowMs: number,
  out: Velocity,
): Velocity {
  const last = points[end];
  const from = last.tMs - windowMs;
  let i = end - 1;
  while (i >= 0 && points[i].tMs > from) i--;
  let x: number;
  let y: number;
  let t: number;
  if (i < 0) {
    // History shorter than the window: its oldest observation.
    const first = points[0];
    x = first.x;
    y = first.y;
    t = first.tMs;
  } else {
    const a = points[i];
    const b = points[i + 1];
    const s = (from - a.tMs) / (b.tMs - a.tMs);
    x = a.x + s * (b.x - a.x);
    y = a.y + s * (b.y - a.y);
    t = from;
  }
  const dt = last.tMs - t;
  out.vx = dt > 0 ? (last.x - x) / dt : 0;
  out.vy = dt > 0 ? (last.y - y) / dt : 0;
  return out;
}

/**
 * Position at `tMs` along a track, interpolated linearly between the observations around it;
 * undefined outside the track's time span. Binary search: tracks are sorted by time.
 */
export function positionAt(
  points: readonly TrackPoint[],
  tMs: number,
): { x: number; y: number } | undefined {
  const n = points.length;
  if (n === 0 || tMs < points[0].tMs || tMs > points[n - 1].tMs) return undefined;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid].tMs <= tMs) lo = mid;
    else hi = mid;
  }
  const a = points[lo];
  const b = points[hi];
  if (b.tMs === a.tMs) return { x: a.x, y: a.y };
  const s = (tMs - a.tMs) / (b.tMs - a.tMs);
  return { x: a.x + s * (b.x - a.x), y: a.y + s * (b.y - a.y) };
}
