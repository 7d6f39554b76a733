import { iou } from './nms';
import type { Detection } from './types';

/** IoU at or above which two detections of the same class are the same object (COCO's AP50). */
export const AGREEMENT_IOU = 0.5;

/**
 * How many of `candidate`'s detections match one of `reference`'s: same class, IoU ≥ `minIou`, each
 * reference detection matched at most once, candidates taken in descending score and each given its
 * best-overlapping unmatched reference (the greedy matching of COCO evaluation). With the counts of
 * both sides this gives the F1 of `candidate` against `reference`: 2m / (|candidate| + |reference|).
 */
export function matchedDetections(
  reference: readonly Readonly<Detection>[],
  candidate: readonly Readonly<Detection>[],
  minIou = AGREEMENT_IOU,
): number {
  const taken = new Uint8Array(reference.length);
  const order = candidate
    .map((_, index) => index)
    .sort((a, b) => candidate[b].score - candidate[a].score);
  let matched = 0;
  for (const index of order) {
    const detection = candidate[index];
    let best = -1;
    let bestIou = minIou;
    for (let r = 0; r < reference.length; r += 1) {
      if (taken[r] || reference[r].classId !== detection.classId) continue;
      const overlap = iou(reference[r], detection);
      if (overlap >= bestIou) {
        best = r;
        bestIou = overlap;
      }
    }
    if (best >= 0) {
      taken[best] = 1;
      matched += 1;
    }
  }
  return matched;
}
