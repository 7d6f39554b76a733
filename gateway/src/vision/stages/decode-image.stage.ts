import sharp, { type Metadata } from 'sharp';
import { GatewayError, invalidArgument } from '../../errors/gateway-error';
import type { DetectContext, DetectStage } from '../detect-types';
import { isSupportedImageFormat, sniffImageFormat } from '../image-format';
import { checkImageHeader, type ImageLimits } from '../image-limits';

/** Longest decoder message quoted back to the caller. */
const MAX_DECODER_MESSAGE = 200;

/**
 * Reads the image header: format, size, channels, depth, frames and EXIF orientation. Refuses
 * unsupported formats and every image whose decoding would cost more than the limits allow
 * (image-limits.ts) before any pixel is decoded.
 */
export class DecodeImageStage implements DetectStage {
  readonly name = 'decode';

  constructor(private readonly limits: ImageLimits) {}

  async run(context: DetectContext): Promise<void> {
    const image = context.request.image;
    const sniffed = sniffImageFormat(image);
    if (!isSupportedImageFormat(sniffed)) throw unsupportedFormat(sniffed);
    let metadata: Metadata;
    try {
      // The header only: no pixel is decoded here, so sharp's own pixel limit is lifted and the
      // check below refuses with the image's dimensions and the setting to change.
      metadata = await sharp(image, { limitInputPixels: false }).metadata();
    } catch (error) {
      throw imageError(error);
    }
    if (metadata.format !== sniffed) throw unsupportedFormat(metadata.format);
    const { width, height } = metadata;
    if (!width || !height) throw invalidArgument('the image has no dimensions');
    const decodedBytes = checkImageHeader(metadata, this.limits);
    // EXIF orientations 5-8 rotate by 90°: the displayed image has width and height swapped.
    const swapped = (metadata.orientation ?? 1) >= 5;
    context.source = {
      width: swapped ? height : width,
      height: swapped ? width : height,
      autoOrient: (metadata.orientation ?? 1) !== 1,
      decodedBytes,
    };
  }
}

function unsupportedFormat(format: string | undefined): GatewayError {
  return new GatewayError(
    'unsupported_media_type',
    format
      ? `unsupported image format '${format}'; send JPEG, PNG or WebP`
      : 'the body is not a JPEG, PNG or WebP image',
  );
}

/** sharp's errors as client errors: what arrives here is a body that is not a usable image. */
export function imageError(error: unknown): GatewayError {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('unsupported image format')) return unsupportedFormat(undefined);
  // sharp's limitInputPixels; the header check refuses such images first, so this is a backstop.
  if (message.includes('exceeds pixel limit')) {
    return new GatewayError(
      'payload_too_large',
      'the image has more pixels than GATEWAY_MAX_IMAGE_PIXELS allows',
    );
  }
  const shown =
    message.length > MAX_DECODER_MESSAGE
      ? `${message.slice(0, MAX_DECODER_MESSAGE)}… (${message.length} characters)`
      : message;
  return invalidArgument(`the image could not be decoded: ${shown}`);
}
