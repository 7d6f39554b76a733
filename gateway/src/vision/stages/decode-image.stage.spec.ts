import { imageError } from './decode-image.stage';

describe('imageError', () => {
  it("answers sharp's own pixel limit with 413, like the header check", () => {
    expect(imageError(new Error('Input image exceeds pixel limit'))).toMatchObject({
      kind: 'payload_too_large',
      message: expect.stringMatching(/GATEWAY_MAX_IMAGE_PIXELS/),
    });
  });

  it('answers an unsupported format with 415', () => {
    expect(imageError(new Error('Input buffer contains unsupported image format'))).toMatchObject({
      kind: 'unsupported_media_type',
    });
  });

  it('quotes a long decoder message only in part, saying how long it was', () => {
    const error = imageError(new Error(`VipsJpeg: ${'x'.repeat(5000)}`));
    expect(error.kind).toBe('invalid_argument');
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toMatch(/\(5010 characters\)$/);
  });
});
