/**
 * Bucket bounds shared by the windowed statistics the gateway reports to the control plane and
 * the Prometheus histograms the canary analysis reads with PromQL: the same buckets either way,
 * so both sources judge a canary alike.
 */

/** Upper bounds (ms) of call-latency buckets; one more bucket holds everything above. */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000,
];

/** Upper bounds of confidence-score buckets: twenty of 0.05 each (scores are in [0, 1]). */
export const SCORE_BOUNDS: readonly number[] = Array.from(
  { length: 20 },
  (_, index) => Math.round((index + 1) * 5) / 100,
);

/** Index of the bucket `value` falls in: the first whose bound it does not exceed. */
export function bucketOf(bounds: readonly number[], value: number): number {
  let low = 0;
  let high = bounds.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (value <= bounds[middle]) high = middle;
    else low = middle + 1;
  }
  return low;
}
