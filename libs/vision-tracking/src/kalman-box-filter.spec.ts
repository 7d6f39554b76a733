import fc from 'fast-check';
import { STATE_SIZE, initiateState, predictState, updateState } from './kalman-box-filter';

const at = (covariance: Float64Array, r: number, c: number): number =>
  covariance[r * STATE_SIZE + c];

describe('Kalman box filter', () => {
  it('starts at the measurement with zero velocity and height-scaled uncertainty', () => {
    const { mean, covariance } = initiateState([100, 50, 0.5, 200]);
    expect([...mean]).toEqual([100, 50, 0.5, 200, 0, 0, 0, 0]);
    expect(at(covariance, 0, 0)).toBeCloseTo((2 * 200 * (1 / 20)) ** 2, 12); // 2 σ_pos h
    expect(at(covariance, 4, 4)).toBeCloseTo((10 * 200 * (1 / 160)) ** 2, 12); // 10 σ_vel h
    expect(at(covariance, 2, 2)).toBeCloseTo(1e-4, 15);
    expect(at(covariance, 0, 1)).toBe(0);
  });

  it('moves by the velocity on predict and grows the uncertainty', () => {
    const state = initiateState([100, 50, 0.5, 200]);
    state.mean[4] = 3;
    state.mean[5] = -2;
    const before = at(state.covariance, 0, 0);
    predictState(state);
    expect(state.mean[0]).toBe(103);
    expect(state.mean[1]).toBe(48);
    expect(at(state.covariance, 0, 0)).toBeGreaterThan(before);
    expect(at(state.covariance, 0, 4)).toBeGreaterThan(0); // position and velocity now correlate
  });

  it('learns a constant velocity from measurements', () => {
    const state = initiateState([0, 0, 0.5, 100]);
    for (let frame = 1; frame <= 30; frame++) {
      predictState(state);
      updateState(state, [5 * frame, 2 * frame, 0.5, 100]);
    }
    expect(state.mean[4]).toBeCloseTo(5, 1);
    expect(state.mean[5]).toBeCloseTo(2, 1);
    expect(state.mean[0]).toBeCloseTo(150, 0);
  });

  it('keeps the covariance symmetric with a positive diagonal', () => {
    const stepArb = fc.array(
      fc.record({
        update: fc.boolean(),
        dx: fc.double({ min: -20, max: 20, noNaN: true }),
        dh: fc.double({ min: -5, max: 5, noNaN: true }),
      }),
      { minLength: 1, maxLength: 60 },
    );
    fc.assert(
      fc.property(stepArb, (steps) => {
        const state = initiateState([300, 200, 0.45, 150]);
        for (const step of steps) {
          predictState(state);
          if (step.update) {
            updateState(state, [state.mean[0] + step.dx, state.mean[1], 0.45, 150 + step.dh]);
          }
        }
        for (let r = 0; r < STATE_SIZE; r++) {
          expect(at(state.covariance, r, r)).toBeGreaterThan(0);
          for (let c = 0; c < r; c++) {
            const scale = Math.abs(at(state.covariance, r, c)) + 1e-9;
            expect(
              Math.abs(at(state.covariance, r, c) - at(state.covariance, c, r)) / scale,
            ).toBeLessThan(1e-6);
          }
        }
      }),
      { seed: 99, numRuns: 200 },
    );
  });
});
