import fc from 'fast-check';
import { matchedDetections } from './detection-agreement';
import type { Detection } from './types';

const box = (
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  classId = 0,
  score = 0.9,
): Detection => ({
  x1,
  y1,
  x2,
  y2,
  classId,
  score,
});

describe('matchedDetections', () => {
  it('matches every detection of an identical answer', () => {
    const answer = [box(0, 0, 10, 10), box(20, 20, 40, 40, 1), box(50, 0, 60, 30, 2)];
    expect(matchedDetections(answer, answer)).toBe(3);
  });

  it('needs the same class and IoU of at least one half', () => {
    const reference = [box(0, 0, 10, 10, 0)];
    expect(matchedDetections(reference, [box(0, 0, 10, 10, 1)])).toBe(0);
    // Shifted by 3 of 10 pixels: IoU = 70 / 130 ≈ 0.54, a match; by 4: 60 / 140 ≈ 0.43, none.
    expect(matchedDetections(reference, [box(3, 0, 13, 10)])).toBe(1);
    expect(matchedDetections(reference, [box(4, 0, 14, 10)])).toBe(0);
  });

  it('matches each reference detection once, the higher-scored candidate first', () => {
    const reference = [box(0, 0, 10, 10)];
    const candidates = [box(1, 0, 11, 10, 0, 0.4), box(0, 0, 10, 10, 0, 0.8)];
    expect(matchedDetections(reference, candidates)).toBe(1);
  });

  it('gives each candidate its best-overlapping unmatched reference', () => {
    // Greedy by score: the strong candidate takes the reference it overlaps most, leaving the
    // other reference for the weak candidate.
    const reference = [box(0, 0, 10, 10), box(2, 0, 12, 10)];
    const candidates = [box(2, 0, 12, 10, 0, 0.9), box(0, 0, 10, 10, 0, 0.5)];
    expect(matchedDetections(reference, candidates)).toBe(2);
  });

  it('never matches more than either side holds', () => {
    const detection = fc
      .record({
        x: fc.integer({ min: 0, max: 50 }),
        y: fc.integer({ min: 0, max: 50 }),
        w: fc.integer({ min: 1, max: 30 }),
        h: fc.integer({ min: 1, max: 30 }),
        classId: fc.integer({ min: 0, max: 2 }),
        score: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map(({ x, y, w, h, classId, score }) => box(x, y, x + w, y + h, classId, score));
    fc.assert(
      fc.property(
        fc.array(detection, { maxLength: 12 }),
        fc.array(detection, { maxLength: 12 }),
        (a, b) => {
          const matched = matchedDetections(a, b);
          expect(matched).toBeLessThanOrEqual(Math.min(a.length, b.length));
          expect(matchedDetections(a, a)).toBe(a.length);
        },
      ),
    );
  });
});
