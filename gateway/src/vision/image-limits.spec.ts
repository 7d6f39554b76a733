import type { Metadata } from 'sharp';
import { checkImageHeader, type ImageLimits } from './image-limits';

const LIMITS: ImageLimits = {
  maxPixels: 40_000_000,
  maxSide: 16_384,
  maxDecodedBytes: 160_000_000,
};

const header = (fields: Partial<Metadata>): Metadata =>
  ({
    format: 'png',
    width: 1920,
    height: 1080,
    channels: 3,
    depth: 'uchar',
    ...fields,
  }) as Metadata;

/** The error checkImageHeader throws for `metadata`, or undefined when it lets the image through. */
function refusal(metadata: Metadata): unknown {
  try {
    checkImageHeader(metadata, LIMITS);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('checkImageHeader', () => {
  it.each([
    ['1080p RGB', { width: 1920, height: 1080 }, 6_220_800],
    ['8K UHD RGBA', { width: 7680, height: 4320, channels: 4 }, 132_710_400],
    ['4K 16-bit RGB', { width: 3840, height: 2160, depth: 'ushort' }, 49_766_400],
    ['a 16384-pixel panorama', { width: 16_384, height: 2048 }, 100_663_296],
    ['greyscale at the pixel limit', { width: 8000, height: 5000, channels: 1 }, 40_000_000],
  ] as const)('lets %s through and returns its decoded bytes', (_name, fields, bytes) => {
    expect(checkImageHeader(header(fields as Partial<Metadata>), LIMITS)).toBe(bytes);
  });

  it.each([
    [
      'a side over the limit',
      { width: 1, height: 39_999_999 },
      /1x39999999.*GATEWAY_MAX_IMAGE_SIDE/,
    ],
    ['a wide side over the limit', { width: 16_385, height: 1 }, /GATEWAY_MAX_IMAGE_SIDE/],
    ['too many pixels', { width: 8000, height: 5001 }, /8000x5001.*GATEWAY_MAX_IMAGE_PIXELS/],
    [
      'deep samples',
      { width: 6300, height: 6300, channels: 4, depth: 'ushort' },
      /317520000 bytes .*GATEWAY_MAX_IMAGE_DECODED_BYTES/,
    ],
    [
      'an unknown depth (counted as the widest)',
      { width: 3840, height: 2160, depth: 'mystery' },
      /GATEWAY_MAX_IMAGE_DECODED_BYTES/,
    ],
  ] as const)('refuses %s with a 413 naming the setting', (_name, fields, message) => {
    expect(refusal(header(fields as unknown as Partial<Metadata>))).toMatchObject({
      kind: 'payload_too_large',
      message: expect.stringMatching(message),
    });
  });

  it('refuses animated and multi-page images with a 415', () => {
    expect(refusal(header({ format: 'webp', pages: 12 }))).toMatchObject({
      kind: 'unsupported_media_type',
      message: expect.stringMatching(/12 frames/),
    });
  });
});
