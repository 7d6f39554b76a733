/**
 * Statistics over binned counts, as a canary analysis has them: per-bucket counts (not cumulative)
 * whose last bucket is +Inf. Pure functions; null where the input holds nothing to measure.
 */

/**
 * Proportion given to an empty bin in the PSI, where ln(0) would make it infinite. 1e-4 is the
 * usual choice in credit-risk practice, where the PSI comes from: an empty bin on one side and
 * 5% on the other adds (0.05 - 1e-4) * ln(0.05 / 1e-4) ≈ 0.31, a clear shift, not infinity.
 */
export const PSI_EMPTY_BIN_PROPORTION = 1e-4;

/**
 * The q-quantile of a histogram the way Prometheus' histogram_quantile() computes it: find the
 * bucket the rank falls in and interpolate linearly within it, the first bucket starting at 0; a
 * rank in the +Inf bucket answers the highest finite bound (an underestimate, as in Prometheus).
 */
export function histogramQuantile(
  q: number,
  bounds: readonly number[],
  buckets: readonly number[],
): number | null {
  assertBuckets(bounds, buckets);
  const total = sum(buckets);
  if (!(total > 0) || bounds.length === 0 || !(q >= 0 && q <= 1)) return null;
  const rank = q * total;
  let below = 0;
  for (let index = 0; index < buckets.length; index++) {
    const count = buckets[index];
    if (below + count >= rank && count > 0) {
      if (index === bounds.length) return bounds[bounds.length - 1];
      const upper = bounds[index];
      const lower = index === 0 ? Math.min(0, upper) : bounds[index - 1];
      return lower + (upper - lower) * ((rank - below) / count);
    }
    below += count;
  }
  return bounds[bounds.length - 1];
}

/**
 * Population stability index of `actual` against `expected` (same bins): sum over bins of
 * (a - e) · ln(a / e) on proportions, an empty bin's proportion taken as PSI_EMPTY_BIN_PROPORTION.
 * Rule of thumb: < 0.1 no shift, 0.1-0.25 moderate, > 0.25 large.
 */
export function populationStabilityIndex(
  expected: readonly number[],
  actual: readonly number[],
): number | null {
  assertSameBins(expected, actual);
  const expectedTotal = sum(expected);
  const actualTotal = sum(actual);
  if (!(expectedTotal > 0) || !(actualTotal > 0)) return null;
  let psi = 0;
  for (let index = 0; index < expected.length; index++) {
    const e = proportion(expected[index], expectedTotal);
    const a = proportion(actual[index], actualTotal);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/**
 * Two-sample Kolmogorov-Smirnov statistic of binned samples: the largest gap between the two
 * empirical CDFs. Binning places every sample of a bin at one point, so this is exactly what
 * scipy.stats.ks_2samp reports for samples expanded from the bins (a lower bound on the statistic
 * of the unbinned samples).
 */
export function ksStatistic(first: readonly number[], second: readonly number[]): number | null {
  assertSameBins(first, second);
  const firstTotal = sum(first);
  const secondTotal = sum(second);
  if (!(firstTotal > 0) || !(secondTotal > 0)) return null;
  let firstCumulative = 0;
  let secondCumulative = 0;
  let largest = 0;
  for (let index = 0; index < first.length; index++) {
    firstCumulative += first[index];
    secondCumulative += second[index];
    largest = Math.max(
      largest,
      Math.abs(firstCumulative / firstTotal - secondCumulative / secondTotal),
    );
  }
  return largest;
}

export function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

function proportion(count: number, total: number): number {
  return count > 0 ? count / total : PSI_EMPTY_BIN_PROPORTION;
}

function assertBuckets(bounds: readonly number[], buckets: readonly number[]): void {
  if (buckets.length !== bounds.length + 1) {
    throw new RangeError(
      `a histogram has one bucket more than bounds (+Inf); got ${buckets.length} buckets for ${bounds.length} bounds`,
    );
  }
}

function assertSameBins(first: readonly number[], second: readonly number[]): void {
  if (first.length !== second.length) {
    throw new RangeError(`distributions on different bins: ${first.length} vs ${second.length}`);
  }
}
