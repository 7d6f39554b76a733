import { DEFAULT_HORIZONS_MS, MAX_HISTORY_POINTS, MAX_HORIZON_MS, MAX_HORIZONS } from './limits';
import { type TrackPoint } from './types';

// Bound once: under Jest's test environment every global lookup in a hot loop costs ~0.2 µs.
const finite = Number.isFinite;

/** Throws RangeError unless the point has finite coordinates and time. */
export function checkPoint(point: TrackPoint, what: string | number = 'observation'): void {
  if (!finite(point.tMs) || !finite(point.x) || !finite(point.y)) {
    const name = typeof what === 'number' ? `history[${what}]` : what;
    throw new RangeError(`${name} must be finite, got tMs=${point.tMs} x=${point.x} y=${point.y}`);
  }
}

/**
 * The last MAX_HISTORY_POINTS observations, checked: non-empty, finite, strictly increasing time.
 * Only the part that is read is checked, so a call costs O(MAX_HISTORY_POINTS) at most.
 */
export function recentHistory(history: readonly TrackPoint[]): readonly TrackPoint[] {
  if (history.length === 0) throw new RangeError('history is empty');
  const recent = history.length > MAX_HISTORY_POINTS ? history.slice(-MAX_HISTORY_POINTS) : history;
  for (let i = 0; i < recent.length; i++) {
    checkPoint(recent[i], i);
    if (i > 0 && !(recent[i].tMs > recent[i - 1].tMs)) {
      throw new RangeError(
        `history times must increase strictly, got ${recent[i - 1].tMs} then ${recent[i].tMs}`,
      );
    }
  }
  return recent;
}

/** Horizons checked: 1..MAX_HORIZONS of them, each finite, > 0 and ≤ MAX_HORIZON_MS. */
export function checkedHorizons(
  horizonsMs: readonly number[] = DEFAULT_HORIZONS_MS,
): readonly number[] {
  if (horizonsMs.length === 0 || horizonsMs.length > MAX_HORIZONS) {
    throw new RangeError(`between 1 and ${MAX_HORIZONS} horizons, got ${horizonsMs.length}`);
  }
  for (const h of horizonsMs) {
    if (!(finite(h) && h > 0 && h <= MAX_HORIZON_MS)) {
      throw new RangeError(`each horizon must be in (0, ${MAX_HORIZON_MS}] ms, got ${h}`);
    }
  }
  return horizonsMs;
}
