/**
 * Box conversions between the detector's corners and the filter's xyah, and the IoU distance
 * matrices the associations use. Continuous coordinates, no "+1" (as libs/vision-math's NMS and
 * supervision do).
 */

export type Corners = readonly [number, number, number, number];

/** x1, y1, x2, y2 → centre x, centre y, aspect (w / h), height. */
export function cornersToXyah(box: Corners): [number, number, number, number] {
  const width = box[2] - box[0];
  const height = box[3] - box[1];
  return [box[0] + width / 2, box[1] + height / 2, width / height, height];
}

/** Centre x, centre y, aspect, height (the first four of a state mean) → x1, y1, x2, y2. */
export function xyahToCorners(xyah: ArrayLike<number>): [number, number, number, number] {
  const height = xyah[3];
  const width = xyah[2] * height;
  const x1 = xyah[0] - width / 2;
  const y1 = xyah[1] - height / 2;
  return [x1, y1, x1 + width, y1 + height];
}

/** Intersection over union; 0 (never NaN) for boxes without area. */
export function boxIou(a: Corners, b: Corners): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (!(w > 0 && h > 0)) return 0;
  const inter = w * h;
  const union =
    Math.max(0, a[2] - a[0]) * Math.max(0, a[3] - a[1]) +
    Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]) -
    inter;
  return union > 0 ? inter / union : 0;
}

/** Corners packed 4 per box, and areas, so the pairwise loop reads flat typed arrays. */
function packed(boxes: readonly Corners[]): { corners: Float64Array; areas: Float64Array } {
  const corners = new Float64Array(boxes.length * 4);
  const areas = new Float64Array(boxes.length);
  boxes.forEach((box, i) => {
    corners.set(box, i * 4);
    areas[i] = Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
  });
  return { corners, areas };
}

/**
 * Row-major |rows| × |cols| matrix of 1 − IoU. With `scores` (one per column), the IoU is first
 * multiplied by the column's detection score, ByteTrack's "fuse score": a confident detection
 * is preferred at equal overlap. Same arithmetic as boxIou, over packed arrays: this runs for
 * every track against every detection, three times a frame.
 */
export function iouDistances(
  rows: readonly Corners[],
  cols: readonly Corners[],
  scores?: readonly number[],
): Float64Array {
  const costs = new Float64Array(rows.length * cols.length).fill(1);
  const a = packed(rows);
  const b = packed(cols);
  for (let r = 0; r < rows.length; r++) {
    const ax1 = a.corners[r * 4];
    const ay1 = a.corners[r * 4 + 1];
    const ax2 = a.corners[r * 4 + 2];
    const ay2 = a.corners[r * 4 + 3];
    for (let c = 0; c < cols.length; c++) {
      const w = Math.min(ax2, b.corners[c * 4 + 2]) - Math.max(ax1, b.corners[c * 4]);
      if (!(w > 0)) continue;
      const h = Math.min(ay2, b.corners[c * 4 + 3]) - Math.max(ay1, b.corners[c * 4 + 1]);
      if (!(h > 0)) continue;
      const inter = w * h;
      const union = a.areas[r] + b.areas[c] - inter;
      const overlap = union > 0 ? inter / union : 0;
      costs[r * cols.length + c] = 1 - (scores === undefined ? overlap : overlap * scores[c]);
    }
  }
  return costs;
}
