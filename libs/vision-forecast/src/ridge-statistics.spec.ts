import { RidgeStatistics } from './ridge-statistics';

describe('RidgeStatistics', () => {
  it('recovers exact linear weights when the prior is worth nothing', () => {
    const stats = new RidgeStatistics(2, 1);
    for (const [a, b] of [
      [1, 0],
      [0, 1],
      [1, 1],
      [2, -1],
    ]) {
      stats.beginSample();
      stats.addRow(Float64Array.of(a, b), 0, 0.7 * a - 0.2 * b);
    }
    const out = new Float64Array(2);
    expect(stats.solve([1, 0], 0, out)).toBe(true);
    expect(out[0]).toBeCloseTo(0.7, 12);
    expect(out[1]).toBeCloseTo(-0.2, 12);
    expect(stats.samples).toBe(4);
  });

  it('shrinks towards the prior by the weight it is given', () => {
    // One feature, targets = 0.5·x: data say 0.5, prior says 1; a prior worth as many samples as
    // the data lands halfway.
    const stats = new RidgeStatistics(1, 1);
    for (const x of [1, 2, 3]) {
      stats.beginSample();
      stats.addRow(Float64Array.of(x), 0, 0.5 * x);
    }
    const out = new Float64Array(1);
    stats.solve([1], 3, out);
    expect(out[0]).toBeCloseTo(0.75, 12);
  });

  it('forgets old samples geometrically', () => {
    const stats = new RidgeStatistics(1, 0.5);
    stats.beginSample();
    stats.addRow(Float64Array.of(1), 0, 1); // says weight 1
    stats.beginSample();
    stats.addRow(Float64Array.of(1), 0, 0); // says weight 0, counts twice as much now
    const out = new Float64Array(1);
    stats.solve([0], 0, out);
    expect(out[0]).toBeCloseTo(1 / 3, 12);
    expect(stats.samples).toBeCloseTo(1.5, 12);
  });

  it('declines to solve without information, leaving the output alone', () => {
    const stats = new RidgeStatistics(2, 1);
    const out = Float64Array.of(9, 9);
    expect(stats.solve([1, 0], 20, out)).toBe(false);
    stats.beginSample();
    stats.addRow(Float64Array.of(0, 0), 0, 3);
    expect(stats.solve([1, 0], 20, out)).toBe(false);
    expect([...out]).toEqual([9, 9]);
  });
});
