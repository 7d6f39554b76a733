/**
 * A box in frame pixels: [x1, y1, x2, y2], continuous coordinates, pixel i spans [i, i + 1)
 * (the convention of @vision-math's Box, as a tuple because trackers hand boxes around that way).
 */
export type PixelBox = readonly [x1: number, y1: number, x2: number, y2: number];

/** Interleaved 8-bit pixels as sharp's `.raw()` gives them: RGB or RGBA, row-major, no padding. */
export type FrameChannels = 3 | 4;

/** Identifies one track of one camera's tracker. */
export interface TrackRef {
  cameraId: string;
  trackId: number;
}
