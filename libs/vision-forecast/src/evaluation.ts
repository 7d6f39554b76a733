import { DEFAULT_HORIZONS_MS, MAX_HISTORY_POINTS } from './limits';
import { positionAt } from './kinematics';
import { checkPoint, checkedHorizons } from './validate';
import { type Forecaster, type TrackId, type TrackPoint, isLearningForecaster } from './types';

/** A track with its whole life: the forecasts' inputs and their truth. */
export interface EvaluationTrack {
  readonly id: TrackId;
  /** Observations, oldest first, strictly increasing tMs. */
  readonly points: readonly TrackPoint[];
}

/** Displacement errors of one forecaster at one horizon. */
export interface HorizonErrors {
  readonly horizonMs: number;
  /** Forecasts scored at this horizon (those whose horizon stays within their track). */
  readonly forecasts: number;
  /** Average displacement error, px: per forecast, the mean error over its points up to this horizon. NaN when no forecasts. */
  readonly adePx: number;
  /** Final displacement error, px: the mean error at this horizon. NaN when no forecasts. */
  readonly fdePx: number;
}

export interface ErrorTableRow extends HorizonErrors {
  readonly model: string;
}

/**
 * ADE and FDE of several forecasters on the same tracks, one row per (model, horizon), models in
 * the order given and horizons ascending.
 *
 * Protocol: the tracks are replayed together in time order, like the camera stream they came from.
 * At every observation (from a track's second on), a learning forecaster first observes it, then
 * every forecaster forecasts from the track's history so far (its last MAX_HISTORY_POINTS). Truth is
 * the track's own later position, interpolated linearly at the forecast time; a horizon that passes
 * the track's last observation is not scored for that forecast. A learner therefore only ever learns
 * from futures that have already happened: the errors are what the gateway would have measured live.
 * At the end of each track learners get endTrack.
 *
 * ADE at horizon H averages the errors at the requested horizons ≤ H, so it is the usual ADE when the
 * horizons are a dense grid (e.g. every 250 ms); FDE at H is the error at H.
 */
export function evaluateForecastersOnTracks(
  tracks: readonly EvaluationTrack[],
  forecasters: Readonly<Record<string, Forecaster>>,
  horizonsMs: readonly number[] = DEFAULT_HORIZONS_MS,
): ErrorTableRow[] {
  const horizons = [...checkedHorizons(horizonsMs)].sort((a, b) => a - b);
  const models = Object.entries(forecasters);
  const ids = new Set<TrackId>();
  for (const track of tracks) {
    checkTrack(track);
    // Learners key their state by id: two tracks sharing one would be one track to them.
    if (ids.has(track.id)) throw new RangeError(`duplicate track id ${track.id}`);
    ids.add(track.id);
  }

  const sums = models.map(() => horizons.map(() => ({ n: 0, ade: 0, fde: 0 })));
  for (const { track, index } of replayOrder(tracks)) {
    const point = track.points[index];
    const lastIndex = track.points.length - 1;
    for (const [, forecaster] of models) {
      if (isLearningForecaster(forecaster)) forecaster.observe(track.id, point);
    }
    if (index > 0) {
      const end = track.points[lastIndex].tMs;
      const history = track.points.slice(Math.max(0, index + 1 - MAX_HISTORY_POINTS), index + 1);
      models.forEach(([, forecaster], m) => {
        const predicted = forecaster.forecast(history, horizons);
        let errorSum = 0;
        for (let k = 0; k < horizons.length && point.tMs + horizons[k] <= end; k++) {
          const truth = positionAt(track.points, predicted[k].tMs);
          if (truth === undefined) break;
          const error = Math.hypot(predicted[k].x - truth.x, predicted[k].y - truth.y);
          errorSum += error;
          const s = sums[m][k];
          s.n++;
          s.fde += error;
          s.ade += errorSum / (k + 1);
        }
      });
    }
    if (index === lastIndex) {
      for (const [, forecaster] of models) {
        if (isLearningForecaster(forecaster)) forecaster.endTrack(track.id);
      }
    }
  }

  return models.flatMap(([model], m) =>
    horizons.map((horizonMs, k) => {
      const s = sums[m][k];
      return {
        model,
        horizonMs,
        forecasts: s.n,
        adePx: s.n > 0 ? s.ade / s.n : Number.NaN,
        fdePx: s.n > 0 ? s.fde / s.n : Number.NaN,
      };
    }),
  );
}

/** ADE and FDE of one forecaster per horizon (same protocol as evaluateForecastersOnTracks). */
export function displacementErrors(
  tracks: readonly EvaluationTrack[],
  forecaster: Forecaster,
  horizonsMs: readonly number[] = DEFAULT_HORIZONS_MS,
): HorizonErrors[] {
  return evaluateForecastersOnTracks(tracks, { model: forecaster }, horizonsMs).map(
    ({ horizonMs, forecasts, adePx, fdePx }) => ({ horizonMs, forecasts, adePx, fdePx }),
  );
}

/** Rows as a fixed-width text table, for logs and benchmark reports. */
export function formatErrorTable(rows: readonly ErrorTableRow[]): string {
  const width = Math.max(5, ...rows.map((r) => r.model.length));
  const header = `${'model'.padEnd(width)}  horizon  forecasts   ADE px   FDE px`;
  const lines = rows.map(
    (r) =>
      `${r.model.padEnd(width)}  ${`${r.horizonMs / 1000} s`.padStart(7)}  ${String(r.forecasts).padStart(9)}` +
      `  ${r.adePx.toFixed(2).padStart(7)}  ${r.fdePx.toFixed(2).padStart(7)}`,
  );
  return [header, ...lines].join('\n');
}

function checkTrack(track: EvaluationTrack): void {
  track.points.forEach((p, i) => {
    checkPoint(p, `track ${track.id} point ${i}`);
    if (i > 0 && !(p.tMs > track.points[i - 1].tMs)) {
      throw new RangeError(`track ${track.id}: times must increase strictly at point ${i}`);
    }
  });
}

/** Every observation of every track, in time order; ties keep track order, then point order. */
function replayOrder(
  tracks: readonly EvaluationTrack[],
): { track: EvaluationTrack; index: number }[] {
  const events = tracks.flatMap((track) => track.points.map((_, index) => ({ track, index })));
  return events.sort((a, b) => a.track.points[a.index].tMs - b.track.points[b.index].tMs);
}
