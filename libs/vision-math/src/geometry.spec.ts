import fc from 'fast-check';
import { mapBoxToModel, mapBoxToSource, planPreprocess, type ResizeMode } from './geometry';
import { type Box } from './types';

function expectBoxClose(actual: Box, expected: Box, tolerance: number): void {
  for (const k of ['x1', 'y1', 'x2', 'y2'] as const) {
    expect(Math.abs(actual[k] - expected[k])).toBeLessThanOrEqual(tolerance);
  }
}

describe('planPreprocess', () => {
  it('stretch scales the axes independently, without padding', () => {
    expect(planPreprocess(640, 480, 416, 416, 'stretch')).toEqual({
      mode: 'stretch',
      scaleX: 416 / 640,
      scaleY: 416 / 480,
      padLeft: 0,
      padTop: 0,
      resizedWidth: 416,
      resizedHeight: 416,
    });
  });

  it('letterbox fits the longer side and centres the shorter one', () => {
    expect(planPreprocess(640, 480, 416, 416, 'letterbox')).toEqual({
      mode: 'letterbox',
      scaleX: 0.65,
      scaleY: 0.65,
      padLeft: 0,
      padTop: 52,
      resizedWidth: 416,
      resizedHeight: 312,
    });
  });

  it('letterbox rounds the resized size and puts the odd padding pixel right/bottom', () => {
    // r = min(10/3, 10/2) = 10/3: 3×2 → 10 × round(6.67) = 10×7, 3 rows of padding → 1 above.
    const plan = planPreprocess(3, 2, 10, 10, 'letterbox');
    expect(plan).toMatchObject({ resizedWidth: 10, resizedHeight: 7, padLeft: 0, padTop: 1 });
    // Scales are the ones really applied after rounding, not r.
    expect(plan.scaleX).toBeCloseTo(10 / 3, 12);
    expect(plan.scaleY).toBe(3.5);
  });

  it('keeps at least one row/column for 1×N images and extreme aspect ratios', () => {
    expect(planPreprocess(1, 10000, 416, 416, 'letterbox')).toMatchObject({
      resizedWidth: 1,
      resizedHeight: 416,
      padLeft: 207,
      padTop: 0,
      scaleX: 1,
    });
    expect(planPreprocess(100000, 3, 416, 416, 'letterbox')).toMatchObject({
      resizedWidth: 416,
      resizedHeight: 1,
      padLeft: 0,
      padTop: 207,
    });
    expect(planPreprocess(1, 1, 416, 416, 'letterbox')).toMatchObject({
      resizedWidth: 416,
      resizedHeight: 416,
      scaleX: 416,
      scaleY: 416,
    });
  });

  it('rejects non-positive or fractional sizes and unknown modes', () => {
    expect(() => planPreprocess(0, 10, 416, 416, 'letterbox')).toThrow(/srcW/);
    expect(() => planPreprocess(10, 10.5, 416, 416, 'stretch')).toThrow(/srcH/);
    expect(() => planPreprocess(10, 10, NaN, 416, 'stretch')).toThrow(/dstW/);
    expect(() => planPreprocess(10, 10, 416, 416, 'crop' as ResizeMode)).toThrow(/mode/);
  });

  it('letterbox invariants hold for any sizes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20000 }),
        fc.integer({ min: 1, max: 20000 }),
        fc.integer({ min: 1, max: 2048 }),
        fc.integer({ min: 1, max: 2048 }),
        (w, h, dw, dh) => {
          const p = planPreprocess(w, h, dw, dh, 'letterbox');
          expect(p.resizedWidth).toBeGreaterThanOrEqual(1);
          expect(p.resizedHeight).toBeGreaterThanOrEqual(1);
          expect(p.resizedWidth).toBeLessThanOrEqual(dw);
          expect(p.resizedHeight).toBeLessThanOrEqual(dh);
          // It touches the input on at least one axis.
          expect(p.resizedWidth === dw || p.resizedHeight === dh).toBe(true);
          // Centred: the two paddings of an axis differ by at most one pixel.
          const right = dw - p.resizedWidth - p.padLeft;
          const bottom = dh - p.resizedHeight - p.padTop;
          expect(right - p.padLeft === 0 || right - p.padLeft === 1).toBe(true);
          expect(bottom - p.padTop === 0 || bottom - p.padTop === 1).toBe(true);
          // Aspect preserved up to the rounding of the resized size (or its clamp to 1 pixel).
          const r = Math.min(dw / w, dh / h);
          expect(Math.abs(p.resizedWidth - w * r)).toBeLessThanOrEqual(Math.max(0.5, 1 - w * r));
          expect(Math.abs(p.resizedHeight - h * r)).toBeLessThanOrEqual(Math.max(0.5, 1 - h * r));
        },
      ),
      { seed: 7, numRuns: 500 },
    );
  });
});

describe('mapBoxToSource / mapBoxToModel', () => {
  it('maps a letterboxed model box back to the source', () => {
    const plan = planPreprocess(640, 480, 416, 416, 'letterbox');
    const back = mapBoxToSource({ x1: 65, y1: 52 + 65, x2: 130, y2: 52 + 130 }, plan, 640, 480);
    expectBoxClose(back, { x1: 100, y1: 100, x2: 200, y2: 200 }, 1e-9);
  });

  it('clips to the image; a box wholly in the padding collapses onto the edge', () => {
    const plan = planPreprocess(640, 480, 416, 416, 'letterbox');
    expect(mapBoxToSource({ x1: -10, y1: 0, x2: 500, y2: 40 }, plan, 640, 480)).toEqual({
      x1: 0,
      y1: 0,
      x2: 640,
      y2: 0,
    });
  });

  it('writes into `out` when given, in place included', () => {
    const plan = planPreprocess(200, 100, 100, 100, 'stretch');
    const box = { x1: 10, y1: 10, x2: 20, y2: 20, score: 0.5 };
    const out = mapBoxToSource(box, plan, 200, 100, box);
    expect(out).toBe(box);
    expect(box).toEqual({ x1: 20, y1: 10, x2: 40, y2: 20, score: 0.5 });
  });

  it('round trip source → model → source is the identity within float eps', () => {
    const sizes = fc.tuple(
      fc.integer({ min: 1, max: 20000 }),
      fc.integer({ min: 1, max: 20000 }),
      fc.integer({ min: 1, max: 2048 }),
      fc.integer({ min: 1, max: 2048 }),
      fc.constantFrom<ResizeMode>('stretch', 'letterbox'),
    );
    const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
      minLength: 4,
      maxLength: 4,
    });
    fc.assert(
      fc.property(sizes, fractions, ([w, h, dw, dh, mode], [a, b, c, d]) => {
        const box = {
          x1: Math.min(a, b) * w,
          x2: Math.max(a, b) * w,
          y1: Math.min(c, d) * h,
          y2: Math.max(c, d) * h,
        };
        const plan = planPreprocess(w, h, dw, dh, mode);
        const back = mapBoxToSource(mapBoxToModel(box, plan), plan, w, h);
        expectBoxClose(back, box, 1e-9 * Math.max(w, h));
      }),
      { seed: 11, numRuns: 1000 },
    );
  });

  it('round trips on 1×N and N×1 images', () => {
    for (const [w, h] of [
      [1, 10000],
      [10000, 1],
      [1, 1],
      [3, 100000],
    ]) {
      for (const mode of ['stretch', 'letterbox'] as const) {
        const plan = planPreprocess(w, h, 416, 416, mode);
        const box = { x1: 0, y1: 0, x2: w, y2: h };
        const model = mapBoxToModel(box, plan);
        expect(model.x1).toBeGreaterThanOrEqual(0);
        expect(model.x2).toBeLessThanOrEqual(416);
        expect(model.y2).toBeLessThanOrEqual(416);
        expectBoxClose(mapBoxToSource(model, plan, w, h), box, 1e-9 * Math.max(w, h));
      }
    }
  });
});
