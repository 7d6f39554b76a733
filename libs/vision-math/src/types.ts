/**
 * Axis-aligned box in continuous pixel coordinates: (x1, y1) is the top-left corner, (x2, y2) the
 * bottom-right one, pixel i spans [i, i + 1). Width is x2 − x1 (no "+1" convention).
 */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** A scored, labelled box: a candidate from a decoder or a detection after NMS. */
export interface Detection extends Box {
  classId: number;
  score: number;
}
