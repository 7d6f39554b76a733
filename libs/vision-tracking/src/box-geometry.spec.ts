import fc from 'fast-check';
import { iou } from '@vision-math';
import { boxIou, cornersToXyah, iouDistances, xyahToCorners } from './box-geometry';

const boxArb = fc
  .tuple(
    fc.double({ min: -100, max: 800, noNaN: true }),
    fc.double({ min: -100, max: 600, noNaN: true }),
    fc.double({ min: 0.5, max: 300, noNaN: true }),
    fc.double({ min: 0.5, max: 300, noNaN: true }),
  )
  .map(([x, y, w, h]): [number, number, number, number] => [x, y, x + w, y + h]);

describe('box geometry', () => {
  it('converts corners to xyah and back', () => {
    expect(cornersToXyah([10, 20, 50, 120])).toEqual([30, 70, 0.4, 100]);
    expect(xyahToCorners([30, 70, 0.4, 100])).toEqual([10, 20, 50, 120]);
    fc.assert(
      fc.property(boxArb, (box) => {
        const back = xyahToCorners(cornersToXyah(box));
        back.forEach((value, i) => expect(value).toBeCloseTo(box[i], 6));
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('computes IoU like libs/vision-math (continuous coordinates, no +1)', () => {
    expect(boxIou([0, 0, 10, 10], [0, 0, 10, 5])).toBe(0.5);
    expect(boxIou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0);
    fc.assert(
      fc.property(boxArb, boxArb, (a, b) => {
        const theirs = iou(
          { x1: a[0], y1: a[1], x2: a[2], y2: a[3] },
          { x1: b[0], y1: b[1], x2: b[2], y2: b[3] },
        );
        expect(boxIou(a, b)).toBeCloseTo(theirs, 12);
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('builds 1 − IoU distances, optionally fused with the detection score', () => {
    const rows = [[0, 0, 10, 10] as const];
    const cols = [[0, 0, 10, 5] as const, [50, 50, 60, 60] as const];
    expect([...iouDistances(rows, cols)]).toEqual([0.5, 1]);
    expect([...iouDistances(rows, cols, [0.8, 0.9])]).toEqual([1 - 0.5 * 0.8, 1]);
  });
});
