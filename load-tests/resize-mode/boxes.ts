/** [x1, y1, x2, y2] in pixels, as the detect API returns boxes. */
export type Box = readonly [number, number, number, number];

export function area(box: Box): number {
  return Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const intersection = w * h;
  return intersection / (area(a) + area(b) - intersection);
}

export interface Match {
  /** Index into the first list. */
  a: number;
  /** Index into the second list. */
  b: number;
  iou: number;
}

/**
 * One-to-one matching: all pairs with IoU ≥ minIou, taken greedily from the highest IoU down
 * (ties by index), each box used at most once. Deterministic, and for the few dozen boxes of a
 * frame as good as optimal matching at IoU ≥ 0.5 (two boxes cannot both overlap a third by more
 * than half unless they overlap each other).
 */
export function greedyMatch(a: readonly Box[], b: readonly Box[], minIou: number): Match[] {
  const pairs: Match[] = [];
  for (let i = 0; i < a.length; i += 1) {
    for (let j = 0; j < b.length; j += 1) {
      const overlap = iou(a[i], b[j]);
      if (overlap >= minIou) pairs.push({ a: i, b: j, iou: overlap });
    }
  }
  pairs.sort((p, q) => q.iou - p.iou || p.a - q.a || p.b - q.b);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const matches: Match[] = [];
  for (const pair of pairs) {
    if (usedA.has(pair.a) || usedB.has(pair.b)) continue;
    usedA.add(pair.a);
    usedB.add(pair.b);
    matches.push(pair);
  }
  return matches;
}

/**
 * A box found on a padded image, in the coordinates of the original frame placed at
 * (offsetX, offsetY): shifted and clipped to the frame. Undefined when nothing of it is left,
 * i.e. it lies wholly in the padding.
 */
export function unpad(
  box: Box,
  offsetX: number,
  offsetY: number,
  width: number,
  height: number,
): Box | undefined {
  const clip = (value: number, max: number): number => Math.min(max, Math.max(0, value));
  const mapped: Box = [
    clip(box[0] - offsetX, width),
    clip(box[1] - offsetY, height),
    clip(box[2] - offsetX, width),
    clip(box[3] - offsetY, height),
  ];
  return area(mapped) > 0 ? mapped : undefined;
}

/**
 * One-to-one matching of the same objects across two video frames that are some time apart:
 * walking people move further than IoU tolerates (0.4 s ≈ a box width), so a pair qualifies when
 * the box centres are at most `maxShift` × the height of the box in `a` apart and the heights
 * differ by less than 1.5×; pairs are taken greedily from the closest. Returns the pair count.
 */
export function centreMatchCount(a: readonly Box[], b: readonly Box[], maxShift: number): number {
  const pairs: { a: number; b: number; distance: number }[] = [];
  for (let i = 0; i < a.length; i += 1) {
    const heightA = a[i][3] - a[i][1];
    for (let j = 0; j < b.length; j += 1) {
      const heightB = b[j][3] - b[j][1];
      const ratio = heightA > heightB ? heightA / heightB : heightB / heightA;
      if (!(ratio < 1.5)) continue;
      const dx = (a[i][0] + a[i][2] - b[j][0] - b[j][2]) / 2;
      const dy = (a[i][1] + a[i][3] - b[j][1] - b[j][3]) / 2;
      const distance = Math.hypot(dx, dy) / heightA;
      if (distance <= maxShift) pairs.push({ a: i, b: j, distance });
    }
  }
  pairs.sort((p, q) => p.distance - q.distance || p.a - q.a || p.b - q.b);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  for (const pair of pairs) {
    if (usedA.has(pair.a) || usedB.has(pair.b)) continue;
    usedA.add(pair.a);
    usedB.add(pair.b);
  }
  return usedA.size;
}
