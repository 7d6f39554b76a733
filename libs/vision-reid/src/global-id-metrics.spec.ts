import { globalIdPrecisionRecall } from './global-id-metrics';
import type { TrackRef } from './types';

const t = (cameraId: string, trackId: number): TrackRef => ({ cameraId, trackId });
const g = (cameraId: string, trackId: number, globalId: number) => ({
  cameraId,
  trackId,
  globalId,
});

describe('globalIdPrecisionRecall', () => {
  // Person P: a1, b1, c1. Person Q: a2, b2. Person R: a3 only.
  const truth: [TrackRef, TrackRef][] = [
    [t('a', 1), t('b', 1)],
    [t('b', 1), t('c', 1)], // with the first: a1 ~ c1 too
    [t('a', 2), t('b', 2)],
  ];

  it('is perfect when ids follow people exactly', () => {
    const scores = globalIdPrecisionRecall(truth, [
      g('a', 1, 10),
      g('b', 1, 10),
      g('c', 1, 10),
      g('a', 2, 20),
      g('b', 2, 20),
      g('a', 3, 30),
    ]);
    expect(scores).toEqual({
      precision: 1,
      recall: 1,
      f1: 1,
      truePositives: 4, // a1-b1, a1-c1, b1-c1, a2-b2
      falsePositives: 0,
      falseNegatives: 0,
    });
  });

  it('counts a merge of two people as false positives and a split as false negatives', () => {
    const merged = globalIdPrecisionRecall(truth, [
      g('a', 1, 10),
      g('b', 1, 10),
      g('c', 1, 10),
      g('a', 2, 10),
      g('b', 2, 10),
      g('a', 3, 30),
    ]);
    // All 5 tracks on 3 cameras under one id: 10 pairs minus 2 same-camera (a1-a2, b1-b2) = 8 predicted.
    expect(merged).toMatchObject({
      truePositives: 4,
      falsePositives: 4,
      falseNegatives: 0,
      recall: 1,
    });
    expect(merged.precision).toBeCloseTo(0.5, 10);

    const split = globalIdPrecisionRecall(truth, [
      g('a', 1, 10),
      g('b', 1, 10),
      g('c', 1, 11),
      g('a', 2, 20),
      g('b', 2, 21),
      g('a', 3, 30),
    ]);
    expect(split).toMatchObject({
      truePositives: 1,
      falsePositives: 0,
      falseNegatives: 3,
      precision: 1,
    });
    expect(split.recall).toBeCloseTo(0.25, 10);
  });

  it('counts only cross-camera pairs, and ground-truth tracks without an id as missed', () => {
    const scores = globalIdPrecisionRecall(truth, [g('a', 1, 10), g('a', 3, 10), g('b', 1, 10)]);
    // Predicted: a1-b1 (true), a3-b1 (false); a1-a3 share a camera, not counted. Missed: c1, a2, b2.
    expect(scores).toMatchObject({ truePositives: 1, falsePositives: 1, falseNegatives: 3 });
  });

  it('is 1/1 with nothing to find and nothing claimed, and refuses same-camera truth', () => {
    expect(globalIdPrecisionRecall([], [g('a', 1, 1), g('b', 1, 2)])).toMatchObject({
      precision: 1,
      recall: 1,
    });
    expect(() => globalIdPrecisionRecall([[t('a', 1), t('a', 2)]], [])).toThrow(
      /cross-camera pairs only/,
    );
    expect(() => globalIdPrecisionRecall([], [g('a', 1, 1), g('a', 1, 2)])).toThrow(
      /assigned twice/,
    );
  });
});
