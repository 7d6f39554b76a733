import { APPEARANCE_CROP, type CropSize } from './appearance-model';
import { checkFrameAndBox } from './frame-pixels';
import type { FrameChannels, PixelBox } from './types';

/** Floats one crop occupies in an NCHW batch: 3 planes of width × height. */
export function cropInputLength(size: CropSize = APPEARANCE_CROP): number {
  return 3 * size.width * size.height;
}

/**
 * Writes the model input for one crop: the box of a decoded RGB(A) frame, stretched to `size` by
 * bilinear interpolation in one pass, as three planes R, G, B of values in [0, 1], at
 * `target[offset ..]`. Crops of many boxes fill one batch tensor (offset = i × cropInputLength())
 * without intermediate images or copies.
 *
 * Sampling is pixel-centre aligned (like OpenCV's and sharp's linear resize without antialiasing):
 * output pixel (i, j) reads the frame at x1 + (i + 0.5) × boxWidth / width − 0.5. Parts of the box
 * outside the frame repeat the edge pixels. A box much larger than `size` is sampled, not averaged,
 * so it aliases; person boxes are rarely more than a few times the 128x64 input.
 */
export function cropPlanarInput(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: FrameChannels,
  box: PixelBox,
  target: Float32Array,
  offset: number,
  size: CropSize = APPEARANCE_CROP,
): void {
  checkFrameAndBox(pixels, width, height, channels, box);
  const plane = size.width * size.height;
  if (!Number.isInteger(size.width) || !Number.isInteger(size.height) || plane < 1) {
    throw new RangeError(`crop size must be positive integers, got ${size.width}x${size.height}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + 3 * plane > target.length) {
    throw new RangeError(
      `a ${size.width}x${size.height} crop at offset ${offset} does not fit a tensor of ${target.length} floats`,
    );
  }
  const [x1, y1, x2, y2] = box;
  const columns = samplingTable(x1, (x2 - x1) / size.width, size.width, width);
  const rows = samplingTable(y1, (y2 - y1) / size.height, size.height, height);
  const scale = 1 / 255;
  const green = offset + plane;
  const blue = offset + 2 * plane;
  let out = 0;
  for (let j = 0; j < size.height; j++) {
    const top = rows.first[j] * width;
    const bottom = rows.second[j] * width;
    const wy = rows.weight[j];
    for (let i = 0; i < size.width; i++, out++) {
      const wx = columns.weight[i];
      const a = (top + columns.first[i]) * channels;
      const b = (top + columns.second[i]) * channels;
      const c = (bottom + columns.first[i]) * channels;
      const d = (bottom + columns.second[i]) * channels;
      const wa = (1 - wx) * (1 - wy) * scale;
      const wb = wx * (1 - wy) * scale;
      const wc = (1 - wx) * wy * scale;
      const wd = wx * wy * scale;
      target[offset + out] = wa * pixels[a] + wb * pixels[b] + wc * pixels[c] + wd * pixels[d];
      target[green + out] =
        wa * pixels[a + 1] + wb * pixels[b + 1] + wc * pixels[c + 1] + wd * pixels[d + 1];
      target[blue + out] =
        wa * pixels[a + 2] + wb * pixels[b + 2] + wc * pixels[c + 2] + wd * pixels[d + 2];
    }
  }
}

/** Per output index along one axis: the two source pixels to blend and the weight of the second. */
interface SamplingTable {
  first: Int32Array;
  second: Int32Array;
  weight: Float32Array;
}

function samplingTable(start: number, step: number, count: number, limit: number): SamplingTable {
  const table = {
    first: new Int32Array(count),
    second: new Int32Array(count),
    weight: new Float32Array(count),
  };
  for (let i = 0; i < count; i++) {
    const position = Math.min(limit - 1, Math.max(0, start + (i + 0.5) * step - 0.5));
    const first = Math.floor(position);
    table.first[i] = first;
    table.second[i] = Math.min(limit - 1, first + 1);
    table.weight[i] = position - first;
  }
  return table;
}
