import { RidgeStatistics } from './ridge-statistics';
import { MAX_HISTORY_POINTS } from './limits';
import {
  LEARNED_HORIZONS_MS,
  MAX_PENDING_ORIGINS,
  MAX_TARGET_GAP_MS,
  type OnlineRidgeOptions,
  resolveOptions,
} from './online-ridge-options';
import { type Velocity, windowVelocity } from './kinematics';
import { TrackState } from './track-state';
import { checkPoint, checkedHorizons, recentHistory } from './validate';
import { type LearningForecaster, type TrackId, type TrackPoint } from './types';

/** One learned horizon, for inspection and reports. */
export interface LearnedHorizon {
  readonly horizonMs: number;
  /** Effective samples behind it (forgetting included). */
  readonly samples: number;
  /** Weight of each window velocity in the predicted mean velocity over the horizon. */
  readonly weights: number[];
  /** True when learned from its own samples, false when borrowed or the prior. */
  readonly learned: boolean;
}

/**
 * Per-camera online ridge regression. The mean velocity over each horizon is predicted as a linear
 * combination of the track's window velocities (default: over the last 0.4 s and 1 s), with weights
 * learned from this camera's past tracks: every track, once its future is seen, becomes a training
 * sample. What it learns is how much to trust and how to smooth the recent velocity at each horizon
 * in this scene (people who slow down, turn or stop show up as damping). The same weights serve x
 * and y, so a sample is two rows.
 *
 * Until a horizon has `minSamples` samples, it uses the nearest shorter horizon that has; with none,
 * the prior: weights (1, 0, …), exactly the constant-velocity baseline. Histories shorter than the
 * longest window also get the baseline, so callers pass at least the last second of a track.
 * Deterministic; memory O(maxTracks · (points in the longest window + pending origins));
 * `observe` costs O(horizons · F²) amortised (≈ 2 µs measured).
 */
export class OnlineRidgeForecaster implements LearningForecaster {
  readonly windowsMs: readonly number[];
  private readonly priorSamples: number;
  private readonly minSamples: number;
  private readonly originSpacingMs: number;
  private readonly maxTracks: number;
  private readonly longestWindowMs: number;
  private readonly prior: number[];
  private readonly stats: RidgeStatistics[];
  private readonly coefficients: Float64Array[];
  private readonly learned: boolean[];
  private readonly solution: Float64Array;
  private readonly tracks = new Map<TrackId, TrackState>();
  private stale = true;
  private readonly velocity: Velocity = { vx: 0, vy: 0 };
  private readonly features: Float64Array;
  private readonly mixed: Float64Array;

  constructor(options: OnlineRidgeOptions = {}) {
    const settings = resolveOptions(options);
    this.windowsMs = settings.windowsMs;
    this.priorSamples = settings.priorSamples;
    this.minSamples = settings.minSamples;
    this.originSpacingMs = settings.originSpacingMs;
    this.maxTracks = settings.maxTracks;
    const f = this.windowsMs.length;
    this.longestWindowMs = this.windowsMs[f - 1];
    this.prior = this.windowsMs.map((_, i) => (i === 0 ? 1 : 0));
    this.stats = LEARNED_HORIZONS_MS.map(() => new RidgeStatistics(f, settings.decay));
    this.coefficients = LEARNED_HORIZONS_MS.map(() => Float64Array.from(this.prior));
    this.learned = LEARNED_HORIZONS_MS.map(() => false);
    this.solution = new Float64Array(f);
    this.features = new Float64Array(2 * f);
    this.mixed = new Float64Array(f);
  }

  /** Tracks currently followed (bounded by maxTracks). */
  get trackCount(): number {
    return this.tracks.size;
  }

  observe(trackId: TrackId, point: TrackPoint): void {
    checkPoint(point);
    let state = this.tracks.get(trackId);
    if (state === undefined) {
      state = new TrackState(LEARNED_HORIZONS_MS.length);
    } else {
      // Re-inserted so that Map order is least recently observed first.
      this.tracks.delete(trackId);
    }
    this.tracks.set(trackId, state);
    if (this.tracks.size > this.maxTracks) {
      const oldest = this.tracks.keys().next();
      if (oldest.done !== true) this.tracks.delete(oldest.value);
    }

    const prev = state.last;
    if (prev !== undefined) {
      if (!(point.tMs > prev.tMs)) {
        throw new RangeError(
          `track ${trackId}: time must increase, got ${prev.tMs} then ${point.tMs}`,
        );
      }
      this.learnFrom(state, prev, point);
    }
    state.pushPoint(
      { tMs: point.tMs, x: point.x, y: point.y },
      this.longestWindowMs,
      MAX_HISTORY_POINTS,
    );

    const lastOrigin = state.origins[state.origins.length - 1];
    if (
      point.tMs - state.firstTMs >= this.longestWindowMs &&
      (lastOrigin === undefined || point.tMs - lastOrigin.tMs >= this.originSpacingMs)
    ) {
      const features = new Float64Array(2 * this.windowsMs.length);
      this.windowFeatures(state.points, features);
      state.origins.push({ tMs: point.tMs, x: point.x, y: point.y, features });
    }
  }

  endTrack(trackId: TrackId): void {
    this.tracks.delete(trackId);
  }

  forecast(history: readonly TrackPoint[], horizonsMs?: readonly number[]): TrackPoint[] {
    const points = recentHistory(history);
    const horizons = checkedHorizons(horizonsMs);
    const last = points[points.length - 1];
    const f = this.windowsMs.length;
    const x = this.features;
    this.windowFeatures(points, x);
    // Too short for the long windows: the baseline, as promised.
    const baselineOnly = last.tMs - points[0].tMs < this.longestWindowMs;
    if (!baselineOnly) this.refresh();
    return horizons.map((h) => {
      let vx = x[0];
      let vy = x[f];
      if (!baselineOnly) {
        const w = this.weightsAt(h);
        vx = 0;
        vy = 0;
        for (let i = 0; i < f; i++) {
          vx += w[i] * x[i];
          vy += w[i] * x[f + i];
        }
      }
      return { tMs: last.tMs + h, x: last.x + vx * h, y: last.y + vy * h };
    });
  }

  /** The current weights per learned horizon. */
  learnedHorizons(): LearnedHorizon[] {
    this.refresh();
    return LEARNED_HORIZONS_MS.map((horizonMs, k) => ({
      horizonMs,
      samples: this.stats[k].samples,
      weights: [...this.coefficients[k]],
      learned: this.learned[k],
    }));
  }

  /** Turns every origin whose horizon has now passed into a training sample. */
  private learnFrom(state: TrackState, prev: TrackPoint, point: TrackPoint): void {
    const f = this.windowsMs.length;
    const gap = point.tMs - prev.tMs;
    const usable = gap <= MAX_TARGET_GAP_MS;
    for (let k = 0; k < LEARNED_HORIZONS_MS.length; k++) {
      const h = LEARNED_HORIZONS_MS[k];
      while (state.cursors[k] < state.origins.length) {
        const origin = state.origins[state.cursors[k]];
        const at = origin.tMs + h;
        if (at > point.tMs) break;
        state.cursors[k]++;
        if (!usable) continue;
        // at > prev.tMs: otherwise this origin was consumed when prev arrived.
        const s = (at - prev.tMs) / gap;
        const targetVx = (prev.x + s * (point.x - prev.x) - origin.x) / h;
        const targetVy = (prev.y + s * (point.y - prev.y) - origin.y) / h;
        const stats = this.stats[k];
        stats.beginSample();
        stats.addRow(origin.features, 0, targetVx);
        stats.addRow(origin.features, f, targetVy);
        this.stale = true;
      }
    }
    state.compactOrigins(MAX_PENDING_ORIGINS);
  }

  private windowFeatures(points: readonly TrackPoint[], out: Float64Array): void {
    const f = this.windowsMs.length;
    const end = points.length - 1;
    for (let i = 0; i < f; i++) {
      const v = windowVelocity(points, end, this.windowsMs[i], this.velocity);
      out[i] = v.vx;
      out[f + i] = v.vy;
    }
  }

  /** Re-solves the horizons after new samples; a horizon short of data borrows the shorter one's. */
  private refresh(): void {
    if (!this.stale) return;
    this.stale = false;
    for (let k = 0; k < LEARNED_HORIZONS_MS.length; k++) {
      const own =
        this.stats[k].samples >= this.minSamples &&
        this.stats[k].solve(this.prior, this.priorSamples, this.solution);
      this.learned[k] = own;
      if (own) this.coefficients[k].set(this.solution);
      else if (k > 0) this.coefficients[k].set(this.coefficients[k - 1]);
      else this.coefficients[k].set(this.prior);
    }
  }

  /** Weights at any horizon: linear between learned horizons, clamped at both ends. */
  private weightsAt(h: number): Float64Array {
    const grid = LEARNED_HORIZONS_MS;
    if (h <= grid[0]) return this.coefficients[0];
    const lastK = grid.length - 1;
    if (h >= grid[lastK]) return this.coefficients[lastK];
    let k = 0;
    while (grid[k + 1] < h) k++;
    const s = (h - grid[k]) / (grid[k + 1] - grid[k]);
    const a = this.coefficients[k];
    const b = this.coefficients[k + 1];
    for (let i = 0; i < this.mixed.length; i++) this.mixed[i] = a[i] + s * (b[i] - a[i]);
    return this.mixed;
  }
}
