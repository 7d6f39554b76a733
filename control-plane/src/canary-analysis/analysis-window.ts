/**
 * What a canary analysis measures over one interval, whichever source measured it (the gateways'
 * statistics reports or Prometheus). Counts are numbers, not bigints: Prometheus' increase() is a
 * float, and a window's counts stay far below 2^53.
 */

/** The primary calls one version served in the window. */
export interface VersionWindow {
  calls: number;
  /** Server-side failures (5xx, UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED, ...). */
  errors: number;
  /** Upper bounds (ms) of latencyBuckets; latencyBuckets has one more entry, the +Inf bucket. */
  latencyBoundsMs: number[];
  /** Calls per bucket (not cumulative). */
  latencyBuckets: number[];
  /** Detect calls only: images answered and detections returned. */
  images: number;
  detections: number;
  /** Upper bounds of scoreBuckets (scores are in [0, 1]); scoreBuckets has one more, +Inf. */
  scoreBounds: number[];
  scoreBuckets: number[];
}

/** A shadow's answers compared with the primary's on the same images, in the window. */
export interface ComparisonWindow {
  /** Images both versions answered. */
  compared: number;
  shadowErrors: number;
  shadowDropped: number;
  /** Detections on compared images, per side, and the pairs matched (same class, IoU >= 0.5). */
  primaryDetections: number;
  shadowDetections: number;
  matched: number;
  /** On the bounds below, one more bucket (+Inf) than bounds; per bucket, not cumulative. */
  scoreBounds: number[];
  primaryScoreBuckets: number[];
  shadowScoreBuckets: number[];
  latencyBoundsMs: number[];
  shadowLatencyBuckets: number[];
}

export function emptyVersionWindow(
  latencyBoundsMs: readonly number[] = [],
  scoreBounds: readonly number[] = [],
): VersionWindow {
  return {
    calls: 0,
    errors: 0,
    latencyBoundsMs: [...latencyBoundsMs],
    latencyBuckets: zeros(latencyBoundsMs.length + 1),
    images: 0,
    detections: 0,
    scoreBounds: [...scoreBounds],
    scoreBuckets: zeros(scoreBounds.length + 1),
  };
}

export function emptyComparisonWindow(
  latencyBoundsMs: readonly number[] = [],
  scoreBounds: readonly number[] = [],
): ComparisonWindow {
  return {
    compared: 0,
    shadowErrors: 0,
    shadowDropped: 0,
    primaryDetections: 0,
    shadowDetections: 0,
    matched: 0,
    scoreBounds: [...scoreBounds],
    primaryScoreBuckets: zeros(scoreBounds.length + 1),
    shadowScoreBuckets: zeros(scoreBounds.length + 1),
    latencyBoundsMs: [...latencyBoundsMs],
    shadowLatencyBuckets: zeros(latencyBoundsMs.length + 1),
  };
}

function zeros(length: number): number[] {
  return new Array<number>(length).fill(0);
}
