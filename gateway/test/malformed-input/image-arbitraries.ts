import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describeBytes, printable } from './fuzz-settings';

/** An image body and, for the counterexample report, how it was made. */
export interface FuzzImage {
  bytes: Buffer;
}

const fuzzImage = (bytes: Buffer, how: string): FuzzImage =>
  printable({ bytes }, `${how}: ${describeBytes(bytes, 48)}`);

/** A sample image with its name, for reports. */
export interface NamedImage {
  name: string;
  bytes: Buffer;
}

/** Content types a client might send with an image body, right and wrong. */
export const imageContentType: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('image/jpeg', 'image/png', 'image/webp') },
  fc.constantFrom('IMAGE/JPEG; q=1', 'image/png;charset=utf-8', ' image/webp ', 'image/gif'),
  fc.constantFrom('application/octet-stream', 'application/json', 'text/plain', ''),
  fc.string({ maxLength: 16 }),
);

const MAGIC = [
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1'),
];

/** Random bytes, some behind a real format signature so they reach the decoders. */
export const randomImageBytes: fc.Arbitrary<FuzzImage> = fc
  .tuple(
    fc.option(fc.constantFrom(...MAGIC), { nil: undefined }),
    fc.uint8Array({ maxLength: 2048 }),
  )
  .map(([magic, rest]) => fuzzImage(Buffer.concat([magic ?? Buffer.alloc(0), rest]), 'random'));

/** A real image cut short anywhere (header included) or with bytes flipped after its header. */
export const damagedImage = (images: readonly NamedImage[]): fc.Arbitrary<FuzzImage> =>
  fc.oneof(
    fc
      .tuple(fc.constantFrom(...images), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([image, cut]) => {
        const length = Math.floor(cut * image.bytes.byteLength);
        return fuzzImage(
          image.bytes.subarray(0, length),
          `${image.name} cut to ${length} of ${image.bytes.byteLength} bytes`,
        );
      }),
    fc
      .tuple(
        fc.constantFrom(...images),
        fc.array(
          fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 255 })),
          { minLength: 1, maxLength: 16 },
        ),
      )
      .map(([image, flips]) => {
        const copy = Buffer.from(image.bytes);
        const at = flips.map(([where, mask]) => {
          const index = Math.floor(where * (copy.byteLength - 1));
          copy[index] ^= mask;
          return `${index}^${mask}`;
        });
        return fuzzImage(copy, `${image.name} with bytes flipped at ${at.join(',')}`);
      }),
  );

/** Dimensions an image header might claim: zero, tiny, just under and far over any limit. */
const claimedDimension = fc.oneof(
  fc.constantFrom(0, 1, 2, 416, 16_383, 16_384, 65_535, 2 ** 31 - 1, 2 ** 32 - 1),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }),
);

/**
 * A real PNG or JPEG whose header claims other dimensions (PNG: IHDR with or without a matching
 * CRC; JPEG: the start-of-frame), so the decoder meets pixel data that does not fit.
 */
export const absurdDimensions = (png: Buffer, jpeg: Buffer): fc.Arbitrary<FuzzImage> =>
  fc.oneof(
    fc
      .tuple(claimedDimension, claimedDimension, fc.boolean())
      .map(([width, height, fixCrc]) =>
        fuzzImage(
          withPngSize(png, width, height, fixCrc),
          `PNG claiming ${width}x${height}${fixCrc ? '' : ', stale CRC'}`,
        ),
      ),
    fc
      .tuple(
        claimedDimension.map((value) => value & 0xffff),
        claimedDimension.map((value) => value & 0xffff),
      )
      .map(([width, height]) =>
        fuzzImage(withJpegSize(jpeg, width, height), `JPEG claiming ${width}x${height}`),
      ),
  );

function withPngSize(png: Buffer, width: number, height: number, fixCrc: boolean): Buffer {
  const copy = Buffer.from(png);
  // Signature (8), IHDR length (4) and type (4), then width and height; the CRC covers type + data.
  copy.writeUInt32BE(width >>> 0, 16);
  copy.writeUInt32BE(height >>> 0, 20);
  if (fixCrc) copy.writeUInt32BE(crc32(copy.subarray(12, 29)), 29);
  return copy;
}

function withJpegSize(jpeg: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(jpeg);
  for (let offset = 2; offset + 9 < copy.byteLength;) {
    if (copy[offset] !== 0xff) break;
    const marker = copy[offset + 1];
    const length = copy.readUInt16BE(offset + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width follow.
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      copy.writeUInt16BE(height, offset + 5);
      copy.writeUInt16BE(width, offset + 7);
      return copy;
    }
    offset += 2 + length;
  }
  throw new Error('no start-of-frame marker in the sample JPEG');
}

/** Detect query strings: known options with odd values, unknown names, repeated names. */
export const detectQuery: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc.constantFrom(
            'scoreThreshold',
            'iouThreshold',
            'maxDetections',
            'classes',
            'resize',
          ),
        },
        fc.constantFrom('__proto__', 'constructor', 'treshold', ''),
        fc.string({ maxLength: 6 }),
      ),
      fc.oneof(
        fc.constantFrom(
          '0',
          '1',
          '0.5',
          '-1',
          '1e309',
          'NaN',
          '',
          'person',
          'person,,car',
          'letterbox',
          '1001',
        ),
        fc.double().map(String),
        fc.string({ maxLength: 10 }),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => {
    const query = new URLSearchParams(pairs).toString();
    return query ? `?${query}` : '';
  });
