/** The horizons a forecast answers when none are given: 0.5, 1 and 2 s. */
export const DEFAULT_HORIZONS_MS: readonly number[] = Object.freeze([500, 1000, 2000]);
/** Beyond a few seconds a pedestrian's motion is not predictable from its track alone. */
export const MAX_HORIZON_MS = 5000;
export const MAX_HORIZONS = 8;
/** Forecasters read at most this many latest observations, so a call's cost is bounded. */
export const MAX_HISTORY_POINTS = 128;
