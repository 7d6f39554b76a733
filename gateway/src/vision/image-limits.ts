import type { Metadata } from 'sharp';
import type { ImageSettings } from '../config/gateway-config';
import { GatewayError } from '../errors/gateway-error';

export type ImageLimits = Pick<ImageSettings, 'maxPixels' | 'maxSide' | 'maxDecodedBytes'>;

/** Bytes per sample of each libvips band format (metadata `depth`). */
const BYTES_PER_SAMPLE: Record<string, number> = {
  uchar: 1,
  char: 1,
  ushort: 2,
  short: 2,
  uint: 4,
  int: 4,
  float: 4,
  complex: 8,
  double: 8,
  dpcomplex: 16,
};

/** Bytes of one decoded sample; an unknown depth counts as the widest, so it is never under-counted. */
function bytesPerSample(depth: string): number {
  return BYTES_PER_SAMPLE[depth] ?? 16;
}

/**
 * Refuses, from the header alone, an image whose decoding would cost more than the limits allow:
 * too many rows or columns (each row costs the decoder work of its own, whatever its width), too
 * many pixels, too large a decoded bitmap (deep samples, many channels), or more than one frame.
 * Returns the decoded bytes (width × height × channels × bytes per sample).
 */
export function checkImageHeader(metadata: Metadata, limits: ImageLimits): number {
  const { width, height } = metadata;
  const size = `${width}x${height}`;
  if (width > limits.maxSide || height > limits.maxSide) {
    throw tooLarge(
      `image is ${size} pixels; no side may exceed ${limits.maxSide} pixels (GATEWAY_MAX_IMAGE_SIDE)`,
    );
  }
  if (width * height > limits.maxPixels) {
    throw tooLarge(
      `image is ${size} pixels, above the limit of ${limits.maxPixels} pixels (GATEWAY_MAX_IMAGE_PIXELS)`,
    );
  }
  const sampleBytes = bytesPerSample(metadata.depth);
  const decodedBytes = width * height * metadata.channels * sampleBytes;
  if (decodedBytes > limits.maxDecodedBytes) {
    throw tooLarge(
      `image decodes to ${decodedBytes} bytes (${size} pixels × ${metadata.channels} channels × ` +
        `${sampleBytes} bytes per sample), above the limit of ${limits.maxDecodedBytes} bytes ` +
        '(GATEWAY_MAX_IMAGE_DECODED_BYTES)',
    );
  }
  const pages = metadata.pages ?? 1;
  if (pages > 1) {
    throw new GatewayError(
      'unsupported_media_type',
      `animated and multi-page images are not supported (this one has ${pages} frames); send one frame`,
    );
  }
  return decodedBytes;
}

const tooLarge = (message: string): GatewayError => new GatewayError('payload_too_large', message);
