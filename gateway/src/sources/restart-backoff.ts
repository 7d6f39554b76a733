export interface BackoffSettings {
  /** The wait after the first failure. */
  initialMs: number;
  /** The wait doubles per consecutive failure up to this. */
  maxMs: number;
  /** A run that delivered frames for this long was healthy: the next failure waits initialMs again. */
  healthyRunMs: number;
  /**
   * Each wait is shortened by a random fraction up to this (0 to 1), so sources that failed
   * together (one camera server restarting) do not all reconnect in the same instant.
   */
  jitterRatio: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = {
  initialMs: 250,
  maxMs: 10_000,
  healthyRunMs: 10_000,
  jitterRatio: 0.2,
};

/** How long to wait before restarting a failed ffmpeg: exponential, capped, reset by health. */
export class RestartBackoff {
  private consecutive = 0;

  constructor(
    private readonly settings: BackoffSettings,
    private readonly random: () => number = Math.random,
  ) {
    const { initialMs, maxMs, healthyRunMs, jitterRatio } = settings;
    if (!(initialMs > 0 && maxMs >= initialMs && healthyRunMs >= 0)) {
      throw new RangeError('backoff needs 0 < initialMs <= maxMs and healthyRunMs >= 0');
    }
    if (!(jitterRatio >= 0 && jitterRatio <= 1)) {
      throw new RangeError('backoff jitterRatio must be from 0 to 1');
    }
  }

  /** Consecutive failures so far (0 after a healthy run). */
  get failures(): number {
    return this.consecutive;
  }

  /** Records a failed run (how long it delivered frames) and returns the wait before the next. */
  failed(deliveringForMs: number): number {
    if (deliveringForMs >= this.settings.healthyRunMs) this.consecutive = 0;
    this.consecutive += 1;
    const { initialMs, maxMs, jitterRatio } = this.settings;
    // 2^30 already exceeds any cap; the bound keeps the power finite.
    const exponent = Math.min(this.consecutive - 1, 30);
    const delay = Math.min(initialMs * 2 ** exponent, maxMs);
    return Math.round(delay * (1 - jitterRatio * this.random()));
  }
}
