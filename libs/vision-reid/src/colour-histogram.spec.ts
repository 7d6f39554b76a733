import { colourHistogramEmbedding } from './colour-histogram';
import { cosineSimilarity } from './embedding-math';
import type { PixelBox } from './types';

type Rgb = readonly [number, number, number];
const RED: Rgb = [200, 30, 30];
const BLUE: Rgb = [30, 40, 190];
const GREEN: Rgb = [40, 170, 40];
const GREY: Rgb = [128, 128, 128];

/** A frame painted by a function of (x, y). */
function frame(
  width: number,
  height: number,
  paint: (x: number, y: number) => Rgb,
  channels: 3 | 4 = 3,
): Uint8Array {
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = paint(x, y);
      pixels.set(channels === 3 ? [r, g, b] : [r, g, b, 255], (y * width + x) * channels);
    }
  }
  return pixels;
}

/** A 20x40 "person" at (10, 10) with a top and trousers colour, on a background colour. */
function person(top: Rgb, bottom: Rgb, background: Rgb): Uint8Array {
  return frame(40, 60, (x, y) => {
    if (x < 10 || x >= 30 || y < 10 || y >= 50) return background;
    return y < 30 ? top : bottom;
  });
}
const BOX: PixelBox = [10, 10, 30, 50];
const embed = (pixels: Uint8Array, box = BOX, channels: 3 | 4 = 3): Float32Array =>
  colourHistogramEmbedding(pixels, 40, 60, channels, box);

describe('colourHistogramEmbedding', () => {
  it('is a unit vector of stripes x 8 x 4 x 4 bins', () => {
    const e = embed(person(RED, BLUE, GREY));
    expect(e).toHaveLength(2 * 128);
    expect(Math.hypot(...e)).toBeCloseTo(1, 6);
    expect(e.every((v) => v >= 0)).toBe(true);
  });

  it('gives 1 for the same clothes and little for different ones', () => {
    expect(
      cosineSimilarity(embed(person(RED, BLUE, GREY)), embed(person(RED, BLUE, GREY))),
    ).toBeCloseTo(1, 6);
    expect(
      cosineSimilarity(embed(person(RED, RED, GREY)), embed(person(GREEN, GREEN, GREY))),
    ).toBeLessThan(0.05);
  });

  it('tells a red top with blue trousers from a blue top with red trousers (two stripes)', () => {
    const a = embed(person(RED, BLUE, GREY));
    const b = embed(person(BLUE, RED, GREY));
    expect(cosineSimilarity(a, b)).toBeLessThan(0.1);
    const oneStripe = (pixels: Uint8Array): Float32Array =>
      colourHistogramEmbedding(pixels, 40, 60, 3, BOX, { stripes: 1 });
    expect(
      cosineSimilarity(oneStripe(person(RED, BLUE, GREY)), oneStripe(person(BLUE, RED, GREY))),
    ).toBeCloseTo(1, 6);
  });

  it('looks at the inner part of the box, so the background at its edges barely matters', () => {
    // A loose box: 5 px of background on each side of the person.
    const loose: PixelBox = [5, 5, 35, 55];
    const onGreen = embed(person(RED, BLUE, GREEN), loose);
    const onGrey = embed(person(RED, BLUE, GREY), loose);
    const withoutInset = (pixels: Uint8Array): Float32Array =>
      colourHistogramEmbedding(pixels, 40, 60, 3, loose, {
        insetX: 0,
        insetTop: 0,
        insetBottom: 0,
      });
    const plain = cosineSimilarity(
      withoutInset(person(RED, BLUE, GREEN)),
      withoutInset(person(RED, BLUE, GREY)),
    );
    expect(cosineSimilarity(onGreen, onGrey)).toBeGreaterThan(0.95);
    expect(plain).toBeLessThan(0.85);
  });

  it('reads RGBA frames like RGB ones, and clips boxes that leave the frame', () => {
    const rgba = frame(40, 60, (_x, y) => (y < 30 ? RED : BLUE), 4);
    const rgb = frame(40, 60, (_x, y) => (y < 30 ? RED : BLUE), 3);
    expect(embed(rgba, BOX, 4)).toEqual(embed(rgb, BOX, 3));
    const clipped = embed(rgb, [-20, -10, 60, 90]);
    expect(Math.hypot(...clipped)).toBeCloseTo(1, 6);
  });

  it('still answers for a box smaller than a pixel (the nearest pixel)', () => {
    const e = embed(person(RED, BLUE, GREY), [20.2, 20.2, 20.4, 20.4]);
    expect(Math.hypot(...e)).toBeCloseTo(1, 6);
  });

  it('samples a large box on a grid (maxSamples) with nearly the same result', () => {
    const checks = frame(400, 400, (x, y) =>
      ((x >> 3) + (y >> 3)) % 3 === 0 ? RED : (x + y) % 2 ? BLUE : GREY,
    );
    const all = colourHistogramEmbedding(checks, 400, 400, 3, [0, 0, 400, 400], {
      maxSamples: 1e9,
    });
    const sampled = colourHistogramEmbedding(checks, 400, 400, 3, [0, 0, 400, 400], {
      maxSamples: 500,
    });
    expect(cosineSimilarity(all, sampled)).toBeGreaterThan(0.99);
    expect(Math.hypot(...sampled)).toBeCloseTo(1, 6);
  });

  it('names what is wrong with bad input', () => {
    const pixels = person(RED, BLUE, GREY);
    expect(() => embed(pixels, [50, 10, 60, 20])).toThrow(/outside the 40x60 frame/);
    expect(() => embed(pixels, [10, 10, 10, 20])).toThrow(/x2 > x1/);
    expect(() => embed(pixels, [Number.NaN, 0, 1, 1])).toThrow(/finite/);
    expect(() => colourHistogramEmbedding(pixels.subarray(1), 40, 60, 3, BOX)).toThrow(
      /needs 7200/,
    );
    expect(() => colourHistogramEmbedding(pixels, 40, 60, 3, BOX, { hueBins: 0 })).toThrow(
      /hueBins/,
    );
  });
});
