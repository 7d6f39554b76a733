import { isSupportedImageFormat, sniffImageFormat } from './image-format';

describe('sniffImageFormat', () => {
  it.each([
    ['jpeg', [0xff, 0xd8, 0xff, 0xe0]],
    ['png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]],
    ['webp', [...Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1')]],
    ['gif', [...Buffer.from('GIF89a', 'latin1')]],
    ['tiff', [0x49, 0x49, 0x2a, 0x00]],
  ])('recognises %s', (format, bytes) => {
    expect(sniffImageFormat(Buffer.from(bytes))).toBe(format);
  });

  it('recognises nothing in text, SVG or a few bytes', () => {
    for (const text of ['<svg xmlns="http://www.w3.org/2000/svg"/>', 'not an image', '', '\x89P']) {
      expect(sniffImageFormat(Buffer.from(text, 'latin1'))).toBeUndefined();
    }
  });

  it('supports exactly JPEG, PNG and WebP', () => {
    expect(['jpeg', 'png', 'webp', 'gif', 'svg', undefined].map(isSupportedImageFormat)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
