/** Bucket bounds (seconds) where calls and their stages usually end. */
export const FINE_LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5,
];
/** Past 5 s: coarse steps, so a call that ran to its deadline lands in a bucket of its own. */
const COARSE = [10, 30, 60, 120, 300];

/**
 * Latency buckets up to the longest deadline a call gets unless its caller asks for another
 * (GATEWAY_DEFAULT_TIMEOUT_MS, or a model's gateway.timeout_ms): the configured one is a bound of
 * its own when it is past the coarse steps, so slow calls are told apart from calls that timed out.
 */
export function latencyBuckets(longestDeadlineMs: number): number[] {
  const longest = longestDeadlineMs / 1000;
  const bounds = [...FINE_LATENCY_BUCKETS, ...COARSE];
  return longest > bounds[bounds.length - 1] ? [...bounds, longest] : bounds;
}
