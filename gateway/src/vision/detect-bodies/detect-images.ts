import { GatewayError } from '../../errors/gateway-error';
import { quoted } from '../../errors/quoted-value';

/** One image of a detect call that carries several (multipart part or JSON `images` entry). */
export interface CarriedImage {
  /** How errors name it: `part 2 ('image', file 'b.png')`, `images[1]`. */
  label: string;
  bytes: Buffer;
}

/**
 * The images of a multipart or base64 JSON detect body, in order. A class, so the controller can
 * tell a parsed body from the raw bytes the other content types arrive as.
 */
export class DetectImages {
  constructor(readonly images: readonly CarriedImage[]) {}
}

/** Content types a raw detect body or a multipart part may declare (the bytes decide: sniffed). */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/webp']);

/** `error` with what it says about one image prefixed by which image it is. */
export function aboutImage(label: string, error: GatewayError): GatewayError {
  return new GatewayError(error.kind, `${label}: ${error.message}`, error.hints);
}

export function tooManyImages(maxImages: number): GatewayError {
  return new GatewayError(
    'payload_too_large',
    `a detect call carries at most ${maxImages} images (GATEWAY_DETECT_MAX_IMAGES); split the rest into further calls`,
  );
}

export function partLabel(index: number, field: string, filename: string | undefined): string {
  const file = filename ? `, file ${quoted(filename)}` : '';
  return `part ${index} (${quoted(field)}${file})`;
}
