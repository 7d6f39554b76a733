import type { FrameResult } from '@contracts/generated/vision/v1/streams_pb';
import {
  ConstantVelocityForecaster,
  evaluateForecastersOnTracks,
  OnlineRidgeForecaster,
  type ErrorTableRow,
  type EvaluationTrack,
  type TrackPoint,
} from '@vision-forecast';

/** Foot points (bottom centre of the box) per camera × track, at capture time, as forecasting reads them. */
export function tracksOf(results: readonly FrameResult[]): EvaluationTrack[] {
  const tracks = new Map<string, TrackPoint[]>();
  for (const result of results) {
    for (const object of result.objects) {
      if (!object.box) continue;
      const { x1, x2, y2 } = object.box;
      const id = `${result.cameraId}:${object.trackId}`;
      const points = tracks.get(id) ?? [];
      points.push({ tMs: Number(result.captureTimeMs), x: (x1 + x2) / 2, y: y2 });
      tracks.set(id, points);
    }
  }
  return [...tracks].map(([id, points]) => ({ id, points }));
}

/** ADE/FDE of constant velocity vs the online ridge model on the tracks the gateway answered. */
export function forecastQuality(
  results: readonly FrameResult[],
  horizonsMs: number[],
): ErrorTableRow[] {
  return evaluateForecastersOnTracks(
    tracksOf(results),
    {
      'constant velocity': new ConstantVelocityForecaster(),
      'online ridge': new OnlineRidgeForecaster(),
    },
    horizonsMs,
  );
}
