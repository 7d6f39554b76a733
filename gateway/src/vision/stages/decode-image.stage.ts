import sharp, { type Metadata } from 'sharp';
import { GatewayError, invalidArgument } from '../../errors/gateway-error';
import type { DetectContext, DetectStage } from '../detect-types';

const SUPPORTED_FORMATS = new Set(['jpeg', 'png', 'webp']);

/**
 * Reads the image header: format, size and EXIF orientation. Refuses unsupported formats and
 * decompression bombs before any pixel is decoded.
 */
export class DecodeImageStage implements DetectStage {
  readonly name = 'decode';

  constructor(private readonly maxPixels: number) {}

  async run(context: DetectContext): Promise<void> {
    let metadata: Metadata;
    try {
      metadata = await sharp(context.request.image).metadata();
    } catch (error) {
      throw imageError(error);
    }
    if (!metadata.format || !SUPPORTED_FORMATS.has(metadata.format)) {
      throw new GatewayError(
        'unsupported_media_type',
        `unsupported image format '${metadata.format}'; send JPEG, PNG or WebP`,
      );
    }
    const { width, height } = metadata;
    if (!width || !height) throw invalidArgument('the image has no dimensions');
    if (width * height > this.maxPixels) {
      throw new GatewayError(
        'payload_too_large',
        `image is ${width}x${height} pixels, above the limit of ${this.maxPixels} pixels`,
      );
    }
    // EXIF orientations 5-8 rotate by 90°: the displayed image has width and height swapped.
    const swapped = (metadata.orientation ?? 1) >= 5;
    context.source = {
      width: swapped ? height : width,
      height: swapped ? width : height,
      autoOrient: (metadata.orientation ?? 1) !== 1,
    };
  }
}

/** sharp's errors as client errors: what arrives here is a body that is not a usable image. */
export function imageError(error: unknown): GatewayError {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('unsupported image format')) {
    return new GatewayError('unsupported_media_type', 'the body is not a JPEG, PNG or WebP image');
  }
  return invalidArgument(`the image could not be decoded: ${message}`);
}
