import type { FrameStage, FrameWork } from '../frame-work';

/**
 * Where each tracked object's foot point (bottom centre of its box) will be at the stream's
 * horizons: the camera's online ridge forecaster, constant velocity until it has learnt enough.
 * An object seen once has no motion yet and gets no forecast.
 */
export class ForecastStage implements FrameStage {
  readonly name = 'forecast';

  run(work: FrameWork): void {
    const { camera, config } = work;
    for (const object of work.objects) {
      const history = camera.history(object.trackId);
      if (history.length < 2) continue;
      const now = history[history.length - 1].tMs;
      object.forecast = camera.forecaster
        .forecast(history, config.forecastHorizonsMs)
        .map((point) => ({ horizonMs: Math.round(point.tMs - now), x: point.x, y: point.y }));
    }
  }
}
