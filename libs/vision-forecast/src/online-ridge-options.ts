/**
 * Horizons the model learns coefficients for; others interpolate between neighbours (beyond the
 * last, its coefficients). 4 s rather than 5: few tracks last long enough to teach 5 s.
 */
export const LEARNED_HORIZONS_MS: readonly number[] = Object.freeze([250, 500, 1000, 2000, 4000]);
/** A track unseen for longer than this gives no training target across the gap: too uncertain. */
export const MAX_TARGET_GAP_MS = 500;
/** Per track, at most this many origins wait for their futures. */
export const MAX_PENDING_ORIGINS = 64;

export interface OnlineRidgeOptions {
  /**
   * Velocity windows, ms, ascending, 1–4 of them: the features. The first is also the baseline's
   * window (the prior and the fallback are ConstantVelocityForecaster with it). Default [400, 1000].
   */
  readonly windowsMs?: readonly number[];
  /** How many average samples the prior (= baseline) is worth. Default 20. */
  readonly priorSamples?: number;
  /** Below this many samples a horizon borrows a shorter one's coefficients, or the prior. Default 40. */
  readonly minSamples?: number;
  /** Old samples fade with weight (1 − 1/forgetSamples) per new one: the scene may change. Default 5000. */
  readonly forgetSamples?: number;
  /** Minimum time between a track's training origins; bounds work and memory per track. Default 80 ms. */
  readonly originSpacingMs?: number;
  /** Tracks followed at once; the least recently observed is forgotten beyond it. Default 1024. */
  readonly maxTracks?: number;
}

/** Options checked, defaults filled in, forgetting as a per-sample decay factor. */
export interface OnlineRidgeSettings {
  readonly windowsMs: readonly number[];
  readonly priorSamples: number;
  readonly minSamples: number;
  readonly decay: number;
  readonly originSpacingMs: number;
  readonly maxTracks: number;
}

export function resolveOptions(options: OnlineRidgeOptions): OnlineRidgeSettings {
  const windows = [...(options.windowsMs ?? [400, 1000])];
  if (windows.length < 1 || windows.length > 4) {
    throw new RangeError(`1 to 4 windows, got ${windows.length}`);
  }
  windows.forEach((w, i) => {
    if (!(Number.isFinite(w) && w > 0 && (i === 0 || w > windows[i - 1]))) {
      throw new RangeError(
        `windowsMs must be finite, > 0 and ascending, got ${windows.join(', ')}`,
      );
    }
  });
  const originSpacingMs = positive(options.originSpacingMs ?? 80, 'originSpacingMs');
  const lastHorizon = LEARNED_HORIZONS_MS[LEARNED_HORIZONS_MS.length - 1];
  if (lastHorizon / originSpacingMs > MAX_PENDING_ORIGINS) {
    throw new RangeError(`originSpacingMs must be ≥ ${lastHorizon / MAX_PENDING_ORIGINS}`);
  }
  return {
    windowsMs: Object.freeze(windows),
    priorSamples: positive(options.priorSamples ?? 20, 'priorSamples', true),
    minSamples: positive(options.minSamples ?? 40, 'minSamples'),
    decay: 1 - 1 / Math.max(1, positive(options.forgetSamples ?? 5000, 'forgetSamples')),
    originSpacingMs,
    maxTracks: Math.max(1, Math.floor(positive(options.maxTracks ?? 1024, 'maxTracks'))),
  };
}

function positive(value: number, name: string, zeroAllowed = false): number {
  if (!(Number.isFinite(value) && (value > 0 || (zeroAllowed && value === 0)))) {
    throw new RangeError(`${name} must be finite and ${zeroAllowed ? '≥' : '>'} 0, got ${value}`);
  }
  return value;
}
