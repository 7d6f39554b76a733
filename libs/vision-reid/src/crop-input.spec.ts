import { APPEARANCE_CROP } from './appearance-model';
import { cropInputLength, cropPlanarInput } from './crop-input';

/** A width x height RGB frame whose pixel (x, y) is (x, y, x + y) (so values stay under 256). */
function ramp(width: number, height: number, channels: 3 | 4 = 3): Uint8Array {
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels;
      pixels[p] = x;
      pixels[p + 1] = y;
      pixels[p + 2] = x + y;
      if (channels === 4) pixels[p + 3] = 77;
    }
  }
  return pixels;
}

describe('cropPlanarInput', () => {
  it('copies a box of exactly the target size pixel for pixel, planar, scaled to [0, 1]', () => {
    const size = { width: 4, height: 3 };
    const out = new Float32Array(cropInputLength(size));
    cropPlanarInput(ramp(10, 10), 10, 10, 3, [2, 5, 6, 8], out, 0, size);
    const plane = 12;
    for (let j = 0; j < 3; j++) {
      for (let i = 0; i < 4; i++) {
        expect(out[j * 4 + i]).toBeCloseTo((2 + i) / 255, 6);
        expect(out[plane + j * 4 + i]).toBeCloseTo((5 + j) / 255, 6);
        expect(out[2 * plane + j * 4 + i]).toBeCloseTo((7 + i + j) / 255, 6);
      }
    }
  });

  it('interpolates linearly between pixel centres when it enlarges', () => {
    // 2x horizontally: output pixel i samples x = (i + 0.5) / 2 - 0.5 + 2, i.e. 1.75, 2.25, 2.75, ...
    const size = { width: 8, height: 1 };
    const out = new Float32Array(cropInputLength(size));
    cropPlanarInput(ramp(12, 4), 12, 4, 3, [2, 1, 6, 2], out, 0, size);
    const red = Array.from(out.subarray(0, 8), (v) => v * 255);
    [1.75, 2.25, 2.75, 3.25, 3.75, 4.25, 4.75, 5.25].forEach((x, i) =>
      expect(red[i]).toBeCloseTo(x, 4),
    );
  });

  it('repeats edge pixels where the box leaves the frame', () => {
    // Samples at x = 9 and x = 14 (beyond the last column, 9) both read column 9.
    const size = { width: 2, height: 1 };
    const out = new Float32Array(cropInputLength(size));
    cropPlanarInput(ramp(10, 10), 10, 10, 3, [7, 2, 17, 3], out, 0, size);
    expect(Array.from(out.subarray(0, 2), (v) => Math.round(v * 255))).toEqual([9, 9]);
    expect(Array.from(out.subarray(2, 4), (v) => Math.round(v * 255))).toEqual([2, 2]);
  });

  it('fills one slot of a batch tensor and leaves the rest alone; RGBA reads like RGB', () => {
    const length = cropInputLength();
    expect(length).toBe(3 * APPEARANCE_CROP.width * APPEARANCE_CROP.height);
    const batch = new Float32Array(3 * length).fill(-1);
    cropPlanarInput(ramp(40, 90, 4), 40, 90, 4, [3, 4, 33, 84], batch, length);
    const alone = new Float32Array(length);
    cropPlanarInput(ramp(40, 90, 3), 40, 90, 3, [3, 4, 33, 84], alone, 0);
    expect(batch.subarray(length, 2 * length)).toEqual(alone);
    expect(batch.subarray(0, length).every((v) => v === -1)).toBe(true);
    expect(batch.subarray(2 * length).every((v) => v === -1)).toBe(true);
  });

  it('names what is wrong with bad input', () => {
    const pixels = ramp(10, 10);
    const out = new Float32Array(cropInputLength());
    expect(() => cropPlanarInput(pixels, 10, 10, 3, [0, 0, 5, 5], out, 1)).toThrow(/does not fit/);
    expect(() => cropPlanarInput(pixels, 10, 10, 3, [20, 0, 25, 5], out, 0)).toThrow(/outside/);
    expect(() => cropPlanarInput(pixels, 10, 20, 3, [0, 0, 5, 5], out, 0)).toThrow(/needs 600/);
    expect(() =>
      cropPlanarInput(pixels, 10, 10, 3, [0, 0, 5, 5], out, 0, { width: 0, height: 2 }),
    ).toThrow(/crop size/);
  });
});
