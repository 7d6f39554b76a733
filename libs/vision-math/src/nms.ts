import { type Box, type Detection } from './types';

export interface NmsOptions {
  /** A box is suppressed by a higher-scoring same-class box when their IoU is strictly greater. */
  readonly iouThreshold: number;
  /** Stop after keeping this many boxes (the highest-scoring survivors). Default: no cap. */
  readonly maxDetections?: number;
}

/**
 * Intersection over union with continuous coordinates: area = (x2 − x1) · (y2 − y1), no "+1".
 * Inverted sides count as zero length. When the union is zero (two zero-area boxes) the IoU is 0,
 * never NaN, so degenerate boxes never suppress anything.
 */
export function iou(a: Readonly<Box>, b: Readonly<Box>): number {
  const areaA = Math.max(0, a.x2 - a.x1) * Math.max(0, a.y2 - a.y1);
  const areaB = Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (!(w > 0 && h > 0)) return 0;
  const inter = w * h;
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Class-aware ("batched") greedy hard NMS. Returns indices into `detections` of the kept boxes in
 * descending score order; equal scores keep input order (like OpenCV's stable sort). Boxes with a
 * NaN score are dropped: they cannot be ranked.
 *
 * O(n²) worst case; the coordinates are copied once into typed arrays so the pairwise loop allocates
 * nothing.
 */
export function batchedNmsIndices(
  detections: readonly Readonly<Detection>[],
  options: NmsOptions,
): number[] {
  const { iouThreshold } = options;
  const maxDetections = options.maxDetections ?? Infinity;
  if (Number.isNaN(iouThreshold)) throw new RangeError('iouThreshold must be a number, got NaN');
  if (maxDetections !== Infinity && !(Number.isInteger(maxDetections) && maxDetections >= 0)) {
    throw new RangeError(`maxDetections must be a non-negative integer, got ${maxDetections}`);
  }

  let n = 0;
  const order = new Uint32Array(detections.length);
  for (let i = 0; i < detections.length; i++) {
    if (!Number.isNaN(detections[i].score)) order[n++] = i;
  }
  const ranked = order.subarray(0, n);
  ranked.sort((a, b) => detections[b].score - detections[a].score || a - b);

  // Struct-of-arrays in rank order: the inner loop reads only these.
  const x1 = new Float64Array(n);
  const y1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const y2 = new Float64Array(n);
  const area = new Float64Array(n);
  const cls = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const d = detections[ranked[r]];
    x1[r] = d.x1;
    y1[r] = d.y1;
    x2[r] = d.x2;
    y2[r] = d.y2;
    area[r] = Math.max(0, d.x2 - d.x1) * Math.max(0, d.y2 - d.y1);
    cls[r] = d.classId;
  }

  const suppressed = new Uint8Array(n);
  const kept: number[] = [];
  for (let i = 0; i < n && kept.length < maxDetections; i++) {
    if (suppressed[i] !== 0) continue;
    kept.push(ranked[i]);
    const ax1 = x1[i];
    const ay1 = y1[i];
    const ax2 = x2[i];
    const ay2 = y2[i];
    const aArea = area[i];
    const aCls = cls[i];
    for (let j = i + 1; j < n; j++) {
      if (suppressed[j] !== 0 || cls[j] !== aCls) continue;
      const w = Math.min(ax2, x2[j]) - Math.max(ax1, x1[j]);
      if (!(w > 0)) continue;
      const h = Math.min(ay2, y2[j]) - Math.max(ay1, y1[j]);
      if (!(h > 0)) continue;
      const inter = w * h;
      const union = aArea + area[j] - inter;
      if (union > 0 && inter / union > iouThreshold) suppressed[j] = 1;
    }
  }
  return kept;
}

/** Class-aware hard NMS; returns the kept detections themselves, highest score first. */
export function batchedNms<T extends Readonly<Detection>>(
  detections: readonly T[],
  options: NmsOptions,
): T[] {
  return batchedNmsIndices(detections, options).map((i) => detections[i]);
}
