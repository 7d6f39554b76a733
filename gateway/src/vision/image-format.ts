/** The formats the vision API decodes, as sharp names them. */
export type SupportedImageFormat = 'jpeg' | 'png' | 'webp';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The image format `bytes` start with, from their signature alone (the same bytes libvips' loaders
 * recognise), so nothing but a JPEG, PNG or WebP decoder ever reads a body. Other well-known
 * formats are named for the error message; anything else is `undefined`.
 */
export function sniffImageFormat(bytes: Buffer): string | undefined {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpeg';
  if (bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (ascii(bytes, 0, 4) === 'GIF8') return 'gif';
  if (ascii(bytes, 0, 4) === 'II*\0' || ascii(bytes, 0, 4) === 'MM\0*') return 'tiff';
  if (ascii(bytes, 0, 2) === 'BM') return 'bmp';
  if (ascii(bytes, 4, 8) === 'ftyp') return 'heif/avif';
  return undefined;
}

export function isSupportedImageFormat(format: string | undefined): format is SupportedImageFormat {
  return format === 'jpeg' || format === 'png' || format === 'webp';
}

function ascii(bytes: Buffer, start: number, end: number): string {
  return bytes.length >= end ? bytes.toString('latin1', start, end) : '';
}
