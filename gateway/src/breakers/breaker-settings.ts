/** How a circuit breaker decides (one per backend endpoint); from GATEWAY_BREAKER_* settings. */
export interface BreakerSettings {
  /** Opens when more than this share (percent) of the calls in the window failed... */
  errorThresholdPercent: number;
  /** ...and the window holds at least this many calls, so a few early failures do not open it. */
  volumeThreshold: number;
  /** Rolling window the percentage is taken over (ten buckets). */
  windowMs: number;
  /** Open this long before one probe call may go through (half-open). */
  resetTimeoutMs: number;
}

/** The caller's terms of a call: failures they caused are not the endpoint's fault. */
export interface CallerTerms {
  /** Aborted when the caller went away. */
  signal?: AbortSignal;
  /** When the caller stops waiting (ms since the epoch). */
  deadline?: number;
}

export type BreakerState = 'closed' | 'half_open' | 'open';

/** For a CV gateway: half the calls failing over ≥ 10 calls in 10 s opens; probe after 5 s. */
export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = {
  errorThresholdPercent: 50,
  volumeThreshold: 10,
  windowMs: 10_000,
  resetTimeoutMs: 5_000,
};
