import { recentHistory, checkedHorizons } from './validate';
import { type Velocity, windowVelocity } from './kinematics';
import { type Forecaster, type TrackPoint } from './types';

export interface ConstantVelocityOptions {
  /**
   * Velocity window, ms. Default 400: the observation step of the ETH/UCY benchmark protocol where
   * constant velocity is the reference baseline; on TUD-Campus/Stadtmitte 200–400 ms are within 1 %
   * of each other and best among 40–800 ms, so the baseline is not handicapped.
   */
  readonly windowMs?: number;
}

/** The baseline: the last position moved on at the mean velocity of the last `windowMs`. */
export class ConstantVelocityForecaster implements Forecaster {
  readonly windowMs: number;
  private readonly velocity: Velocity = { vx: 0, vy: 0 };

  constructor(options: ConstantVelocityOptions = {}) {
    const windowMs = options.windowMs ?? 400;
    if (!(Number.isFinite(windowMs) && windowMs > 0)) {
      throw new RangeError(`windowMs must be finite and > 0, got ${windowMs}`);
    }
    this.windowMs = windowMs;
  }

  forecast(history: readonly TrackPoint[], horizonsMs?: readonly number[]): TrackPoint[] {
    const points = recentHistory(history);
    const horizons = checkedHorizons(horizonsMs);
    const last = points[points.length - 1];
    const { vx, vy } = windowVelocity(points, points.length - 1, this.windowMs, this.velocity);
    return horizons.map((h) => ({ tMs: last.tMs + h, x: last.x + vx * h, y: last.y + vy * h }));
  }
}
