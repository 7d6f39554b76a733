import type { FrameChannels, PixelBox } from './types';

/** Throws a RangeError naming what is wrong when the buffer cannot hold the frame or the box is unusable. */
export function checkFrameAndBox(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: FrameChannels,
  box: PixelBox,
): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`frame size must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4) {
    throw new RangeError(`channels must be 3 (RGB) or 4 (RGBA), got ${String(channels)}`);
  }
  if (pixels.length < width * height * channels) {
    throw new RangeError(
      `pixel buffer holds ${pixels.length} bytes, a ${width}x${height}x${channels} frame needs ${width * height * channels}`,
    );
  }
  const [x1, y1, x2, y2] = box;
  if (![x1, y1, x2, y2].every(Number.isFinite) || x2 <= x1 || y2 <= y1) {
    throw new RangeError(`box [${box.join(', ')}] must be finite with x2 > x1 and y2 > y1`);
  }
  if (x2 <= 0 || y2 <= 0 || x1 >= width || y1 >= height) {
    throw new RangeError(`box [${box.join(', ')}] lies outside the ${width}x${height} frame`);
  }
}
