import { ConstantVelocityForecaster } from './constant-velocity';
import { displacementErrors, evaluateForecastersOnTracks, formatErrorTable } from './evaluation';
import { type Forecaster, type LearningForecaster, type TrackId, type TrackPoint } from './types';

/** Predicts that the track stays where it was last seen. */
const standStill: Forecaster = {
  forecast: (history, horizonsMs = [500]) => {
    const last = history[history.length - 1];
    return horizonsMs.map((h) => ({ tMs: last.tMs + h, x: last.x, y: last.y }));
  },
};

/** 1 px/ms along x, one observation every 100 ms from 0 to `endMs`. */
const mover = (id: TrackId, endMs: number, startMs = 0): { id: TrackId; points: TrackPoint[] } => ({
  id,
  points: Array.from({ length: (endMs - startMs) / 100 + 1 }, (_, i) => {
    const tMs = startMs + i * 100;
    return { tMs, x: tMs, y: 0 };
  }),
});

describe('displacementErrors', () => {
  it('defines FDE as the error at the horizon, ADE as the mean error over the horizons up to it', () => {
    // Standing still while moving at 1 px/ms: the error at horizon h is h px.
    const rows = displacementErrors([mover('a', 3000)], standStill, [500, 1000, 2000]);
    expect(rows.map((r) => r.fdePx)).toEqual([500, 1000, 2000]);
    expect(rows[0].adePx).toBe(500);
    expect(rows[1].adePx).toBe(750);
    expect(rows[2].adePx).toBeCloseTo(3500 / 3, 9);
  });

  it('skips the horizons that pass the end of the track, per forecast', () => {
    // Origins at 100..3000 ms (30 of them); horizon h is scored while origin + h ≤ 3000.
    const rows = displacementErrors([mover('a', 3000)], standStill, [500, 1000, 2000]);
    expect(rows.map((r) => r.forecasts)).toEqual([25, 20, 10]);
  });

  it('interpolates the truth between observations', () => {
    // Observations every 100 ms; horizons of 250 ms land between them.
    const rows = displacementErrors([mover('a', 2000)], standStill, [250]);
    expect(rows[0].fdePx).toBeCloseTo(250, 12);
  });

  it('gives zero error to constant velocity on straight tracks, NaN where nothing is scored', () => {
    const rows = displacementErrors(
      [mover('a', 1500)],
      new ConstantVelocityForecaster(),
      [500, 2000],
    );
    expect(rows[0].fdePx).toBeCloseTo(0, 9);
    expect(rows[1]).toMatchObject({ forecasts: 0 });
    expect(rows[1].fdePx).toBeNaN();
  });

  it('rejects tracks with non-finite points, unordered times or shared ids', () => {
    const bad = { id: 'b', points: [{ tMs: 0, x: 0, y: Number.NaN }] };
    expect(() => displacementErrors([bad], standStill)).toThrow(/finite/);
    const unordered = {
      id: 'u',
      points: [
        { tMs: 0, x: 0, y: 0 },
        { tMs: 0, x: 1, y: 0 },
      ],
    };
    expect(() => displacementErrors([unordered], standStill)).toThrow(/increase/);
    expect(() => displacementErrors([mover('a', 500), mover('a', 500)], standStill)).toThrow(
      /duplicate/,
    );
  });
});

describe('evaluateForecastersOnTracks', () => {
  it('replays the scene in time order, so a learner never sees a future before forecasting it', () => {
    let latestSeen = Number.NEGATIVE_INFINITY;
    const log: string[] = [];
    const spy: LearningForecaster = {
      observe: (id, point) => {
        expect(point.tMs).toBeGreaterThanOrEqual(latestSeen);
        latestSeen = point.tMs;
        log.push(`observe ${id}@${point.tMs}`);
      },
      endTrack: (id) => log.push(`end ${id}`),
      forecast: (history, horizons) => {
        // Nothing observed is later than the forecast's own origin.
        expect(latestSeen).toBe(history[history.length - 1].tMs);
        return standStill.forecast(history, horizons);
      },
    };
    evaluateForecastersOnTracks([mover('a', 300), mover('b', 400, 100)], { spy }, [100]);
    expect(log).toEqual([
      'observe a@0',
      'observe a@100',
      'observe b@100',
      'observe a@200',
      'observe b@200',
      'observe a@300',
      'end a',
      'observe b@300',
      'observe b@400',
      'end b',
    ]);
  });

  it('returns one row per model and horizon, horizons ascending, and formats them', () => {
    const rows = evaluateForecastersOnTracks(
      [mover('a', 3000)],
      { still: standStill, cv: new ConstantVelocityForecaster() },
      [1000, 500],
    );
    expect(rows.map((r) => `${r.model}@${r.horizonMs}`)).toEqual([
      'still@500',
      'still@1000',
      'cv@500',
      'cv@1000',
    ]);
    const table = formatErrorTable(rows);
    expect(table.split('\n')).toHaveLength(5);
    expect(table).toContain('still      1 s         20   750.00  1000.00');
  });
});
