import { ConstantVelocityForecaster } from './constant-velocity';
import { MAX_HISTORY_POINTS } from './limits';
import { type TrackPoint } from './types';

/** A walk at (vx, vy) px/ms sampled at the given times. */
const walk = (times: number[], vx: number, vy: number): TrackPoint[] =>
  times.map((tMs) => ({ tMs, x: 100 + vx * tMs, y: 50 + vy * tMs }));

describe('ConstantVelocityForecaster', () => {
  const cv = new ConstantVelocityForecaster();

  it('extrapolates straight motion exactly, also from irregular, dropped-frame sampling', () => {
    const history = walk([0, 40, 80, 200, 240, 360, 400, 520], 0.12, -0.05);
    const out = cv.forecast(history, [100, 500, 2000]);
    const last = history[history.length - 1];
    [100, 500, 2000].forEach((h, i) => {
      expect(out[i].tMs).toBe(last.tMs + h);
      expect(out[i].x).toBeCloseTo(last.x + 0.12 * h, 9);
      expect(out[i].y).toBeCloseTo(last.y - 0.05 * h, 9);
    });
  });

  it('answers 0.5, 1 and 2 s by default, in the order asked otherwise', () => {
    const history = walk([0, 100, 200, 300, 400, 500], 0.1, 0);
    expect(cv.forecast(history).map((p) => p.tMs - 500)).toEqual([500, 1000, 2000]);
    expect(cv.forecast(history, [2000, 250]).map((p) => p.tMs - 500)).toEqual([2000, 250]);
  });

  it('uses the mean velocity over the window, interpolating where the window starts', () => {
    // Slow (0.1 px/ms) until 600 ms, then fast (0.3): the 400 ms window sees only the fast part.
    const history: TrackPoint[] = [0, 200, 600, 700, 1000].map((tMs) => ({
      tMs,
      x: tMs <= 600 ? 0.1 * tMs : 60 + 0.3 * (tMs - 600),
      y: 0,
    }));
    expect(cv.forecast(history, [1000])[0].x).toBeCloseTo(180 + 300, 9);
    // A 1 s window averages both: (180 − 0) / 1000.
    expect(
      new ConstantVelocityForecaster({ windowMs: 1000 }).forecast(history, [1000])[0].x,
    ).toBeCloseTo(180 + 180, 9);
  });

  it('uses the whole history when it is shorter than the window, and stands still on one point', () => {
    expect(cv.forecast(walk([0, 40], 0.2, 0.1), [1000])[0]).toEqual({ tMs: 1040, x: 308, y: 154 });
    expect(cv.forecast([{ tMs: 5, x: 1, y: 2 }], [500])[0]).toEqual({ tMs: 505, x: 1, y: 2 });
  });

  it(`reads only the last ${MAX_HISTORY_POINTS} observations`, () => {
    const history = walk(
      Array.from({ length: 10_000 }, (_, i) => i * 40),
      0.05,
      0.05,
    );
    history[0] = { tMs: 0, x: Number.NaN, y: 0 }; // beyond the cap: never read
    expect(cv.forecast(history, [1000])[0].x).toBeCloseTo(100 + 0.05 * (9_999 * 40 + 1000), 6);
  });

  it('rejects bad input', () => {
    const ok = walk([0, 40, 80], 0.1, 0.1);
    expect(() => cv.forecast([], [500])).toThrow(RangeError);
    expect(() => cv.forecast([...ok, { tMs: 120, x: Number.NaN, y: 0 }])).toThrow(/finite/);
    expect(() => cv.forecast([...ok, { tMs: 120, x: 0, y: Infinity }])).toThrow(/finite/);
    expect(() => cv.forecast([...ok, { tMs: Infinity, x: 0, y: 0 }])).toThrow(/finite/);
    expect(() => cv.forecast([...ok, { tMs: 80, x: 0, y: 0 }])).toThrow(/increase/);
    expect(() => cv.forecast(ok, [])).toThrow(/horizons/);
    expect(() => cv.forecast(ok, [0])).toThrow(/horizon/);
    expect(() => cv.forecast(ok, [5001])).toThrow(/horizon/);
    expect(() => cv.forecast(ok, [Number.NaN])).toThrow(/horizon/);
    expect(() =>
      cv.forecast(
        ok,
        Array.from({ length: 9 }, (_, i) => (i + 1) * 100),
      ),
    ).toThrow(/horizons/);
    expect(cv.forecast(ok, [5000])).toHaveLength(1);
    expect(() => new ConstantVelocityForecaster({ windowMs: 0 })).toThrow(RangeError);
  });
});
