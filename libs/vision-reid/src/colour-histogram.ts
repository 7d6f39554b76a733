import { checkFrameAndBox } from './frame-pixels';
import type { FrameChannels, PixelBox } from './types';

export interface ColourHistogramOptions {
  /** Bins of hue, saturation and value (default 8, 4, 4: 128 dims per stripe). */
  hueBins?: number;
  saturationBins?: number;
  valueBins?: number;
  /**
   * Fraction of the box width cut off on each side, and of its height at the top and bottom (default
   * 0.2, 0.1, 0.1): a person's box is mostly background at its edges, which would otherwise make
   * two people in front of the same wall look alike.
   */
  insetX?: number;
  insetTop?: number;
  insetBottom?: number;
  /**
   * Horizontal stripes with a histogram each (default 2): upper and lower body are usually
   * differently coloured, and one histogram over both cannot tell a red top with blue jeans from a
   * blue top with red trousers.
   */
  stripes?: number;
  /**
   * At most about this many pixels are counted (default 4096, on a regular grid): a histogram of
   * 128 bins does not get better from 100 000 samples of a close-up, but its cost would.
   */
  maxSamples?: number;
}

const DEFAULTS: Required<ColourHistogramOptions> = {
  hueBins: 8,
  saturationBins: 4,
  valueBins: 4,
  insetX: 0.2,
  insetTop: 0.1,
  insetBottom: 0.1,
  stripes: 2,
  maxSamples: 4096,
};

/**
 * An appearance baseline without a model: HSV colour histograms of the inner part of `box`.
 *
 * Each stripe's histogram is turned into frequencies and square-rooted (the Hellinger embedding),
 * so the cosine similarity of two embeddings is the Bhattacharyya coefficient of their
 * histograms, averaged over stripes; the result has unit L2 norm. Dimension: stripes × hue ×
 * saturation × value bins.
 */
export function colourHistogramEmbedding(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: FrameChannels,
  box: PixelBox,
  options: ColourHistogramOptions = {},
): Float32Array {
  checkFrameAndBox(pixels, width, height, channels, box);
  const o = { ...DEFAULTS, ...options };
  for (const key of ['hueBins', 'saturationBins', 'valueBins', 'stripes', 'maxSamples'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1)
      throw new RangeError(`${key} must be an integer >= 1`);
  }
  const [x1, y1, x2, y2] = box;
  const boxWidth = x2 - x1;
  const boxHeight = y2 - y1;
  const columns = pixelRange(x1 + o.insetX * boxWidth, x2 - o.insetX * boxWidth, width);
  const top = y1 + o.insetTop * boxHeight;
  const stripeHeight = (y2 - o.insetBottom * boxHeight - top) / o.stripes;
  const binsPerStripe = o.hueBins * o.saturationBins * o.valueBins;
  const embedding = new Float32Array(binsPerStripe * o.stripes);
  const area = (columns.to - columns.from) * Math.max(1, stripeHeight * o.stripes);
  const step = Math.max(1, Math.ceil(Math.sqrt(area / o.maxSamples)));

  for (let stripe = 0; stripe < o.stripes; stripe++) {
    const stripeTop = top + stripe * stripeHeight;
    const rows = pixelRange(stripeTop, stripeTop + stripeHeight, height);
    const histogram = embedding.subarray(stripe * binsPerStripe, (stripe + 1) * binsPerStripe);
    let count = 0;
    for (let y = rows.from; y < rows.to; y += step) {
      for (let x = columns.from; x < columns.to; x += step) {
        const p = (y * width + x) * channels;
        histogram[hsvBin(pixels[p], pixels[p + 1], pixels[p + 2], o)] += 1;
        count++;
      }
    }
    const scale = 1 / (count * o.stripes);
    for (let i = 0; i < histogram.length; i++) histogram[i] = Math.sqrt(histogram[i] * scale);
  }
  return embedding;
}

/** Pixels whose centres lie in [from, to), clipped to the frame; at least the nearest one. */
function pixelRange(from: number, to: number, size: number): { from: number; to: number } {
  let first = Math.max(0, Math.ceil(from - 0.5));
  let end = Math.min(size, Math.ceil(to - 0.5));
  if (end <= first) {
    first = Math.min(size - 1, Math.max(0, Math.floor((from + to) / 2)));
    end = first + 1;
  }
  return { from: first, to: end };
}

function hsvBin(r: number, g: number, b: number, o: Required<ColourHistogramOptions>): number {
  const max = Math.max(r, g, b);
  const delta = max - Math.min(r, g, b);
  let hue = 0; // in sixths of the colour wheel, [0, 6)
  if (delta > 0) {
    if (max === r) hue = ((g - b) / delta + 6) % 6;
    else if (max === g) hue = (b - r) / delta + 2;
    else hue = (r - g) / delta + 4;
  }
  const saturation = max === 0 ? 0 : delta / max;
  const h = Math.min(o.hueBins - 1, Math.floor((hue / 6) * o.hueBins));
  const s = Math.min(o.saturationBins - 1, Math.floor(saturation * o.saturationBins));
  const v = Math.min(o.valueBins - 1, Math.floor((max / 255) * o.valueBins));
  return (h * o.saturationBins + s) * o.valueBins + v;
}
