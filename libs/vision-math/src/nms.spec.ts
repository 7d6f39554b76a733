import { batchedNms, batchedNmsIndices, iou } from './nms';
import { type Detection } from './types';

function det(
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  score: number,
  classId = 0,
): Detection {
  return { x1, y1, x2, y2, score, classId };
}

describe('iou', () => {
  it('uses continuous coordinates (no +1)', () => {
    expect(iou(det(0, 0, 10, 10, 1), det(0, 0, 10, 5, 1))).toBe(0.5);
    expect(iou(det(0, 0, 10, 10, 1), det(5, 5, 15, 15, 1))).toBeCloseTo(25 / 175, 15);
    expect(iou(det(0, 0, 10, 10, 1), det(10, 0, 20, 10, 1))).toBe(0); // touching edges
  });

  it('is 0, never NaN, for zero-area and inverted boxes', () => {
    expect(iou(det(5, 5, 5, 5, 1), det(5, 5, 5, 5, 1))).toBe(0);
    expect(iou(det(0, 0, 10, 0, 1), det(0, 0, 10, 10, 1))).toBe(0);
    expect(iou(det(10, 10, 0, 0, 1), det(0, 0, 10, 10, 1))).toBe(0);
  });
});

describe('batchedNmsIndices', () => {
  it('suppresses a lower-scoring same-class box with IoU above the threshold', () => {
    const dets = [det(0, 0, 10, 10, 0.8), det(1, 1, 11, 11, 0.9), det(50, 50, 60, 60, 0.7)];
    expect(batchedNmsIndices(dets, { iouThreshold: 0.5 })).toEqual([1, 2]);
  });

  it('suppresses only when IoU is strictly greater than the threshold', () => {
    const dets = [det(0, 0, 10, 10, 0.9), det(0, 0, 10, 5, 0.8)]; // IoU exactly 0.5
    expect(batchedNmsIndices(dets, { iouThreshold: 0.5 })).toEqual([0, 1]);
    expect(batchedNmsIndices(dets, { iouThreshold: 0.49 })).toEqual([0]);
  });

  it('never suppresses across classes', () => {
    const dets = [det(0, 0, 10, 10, 0.9, 1), det(0, 0, 10, 10, 0.8, 2), det(0, 0, 10, 10, 0.7, 1)];
    expect(batchedNmsIndices(dets, { iouThreshold: 0.5 })).toEqual([0, 1]);
  });

  it('is greedy: a suppressed box suppresses nothing', () => {
    // B overlaps A and C heavily, A and C barely: keep A and C.
    const a = det(0, 0, 10, 10, 0.9);
    const b = det(4, 0, 14, 10, 0.8);
    const c = det(8, 0, 18, 10, 0.7);
    expect(batchedNmsIndices([c, b, a], { iouThreshold: 0.3 })).toEqual([2, 0]);
  });

  it('breaks score ties by input order', () => {
    const dets = [det(50, 50, 60, 60, 0.5), det(0, 0, 10, 10, 0.9), det(0, 0, 10, 10, 0.9)];
    expect(batchedNmsIndices(dets, { iouThreshold: 0.5 })).toEqual([1, 0]);
    expect(batchedNmsIndices([dets[2], dets[1]], { iouThreshold: 0.5 })).toEqual([0]);
  });

  it('caps the result at maxDetections, keeping the best survivors', () => {
    const dets = [0.1, 0.4, 0.3, 0.2].map((s, i) => det(i * 20, 0, i * 20 + 10, 10, s));
    expect(batchedNmsIndices(dets, { iouThreshold: 0.5, maxDetections: 2 })).toEqual([1, 2]);
    expect(batchedNmsIndices(dets, { iouThreshold: 0.5, maxDetections: 0 })).toEqual([]);
    expect(() => batchedNmsIndices(dets, { iouThreshold: 0.5, maxDetections: 1.5 })).toThrow(
      /maxDetections/,
    );
  });

  it('keeps degenerate zero-area boxes without producing NaN', () => {
    const dets = [
      det(5, 5, 5, 5, 0.9),
      det(5, 5, 5, 5, 0.8),
      det(0, 0, 10, 10, 0.7),
      det(3, 3, 3, 9, 0.6),
    ];
    expect(batchedNmsIndices(dets, { iouThreshold: 0 })).toEqual([0, 1, 2, 3]);
  });

  it('drops NaN scores and rejects a NaN threshold', () => {
    const dets = [det(0, 0, 10, 10, NaN), det(0, 0, 10, 10, 0.2)];
    expect(batchedNmsIndices(dets, { iouThreshold: 0.5 })).toEqual([1]);
    expect(() => batchedNmsIndices(dets, { iouThreshold: NaN })).toThrow(/iouThreshold/);
    expect(batchedNmsIndices([], { iouThreshold: 0.5 })).toEqual([]);
  });
});

describe('batchedNms', () => {
  it('returns the kept objects themselves, highest score first', () => {
    const dets = [
      { ...det(0, 0, 10, 10, 0.6), label: 'a' },
      { ...det(1, 1, 10, 10, 0.9), label: 'b' },
      { ...det(30, 30, 40, 40, 0.7), label: 'c' },
    ];
    const kept = batchedNms(dets, { iouThreshold: 0.5 });
    expect(kept.map((d) => d.label)).toEqual(['b', 'c']);
    expect(kept[0]).toBe(dets[1]);
  });
});
