/**
 * Images whose header promises far more work than their bytes suggest, built in milliseconds:
 * zero-filled PNGs whose compressed pixel data is one deflate block of zeros repeated (sharp itself
 * takes 10-30 s to encode a 40-megapixel PNG, so it only checks what is built here).
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';

export interface ZeroPng {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  bitDepth?: 8 | 16;
  /** Adam7 interlacing: the decoder must hold the whole image before it can hand out one row. */
  interlaced?: boolean;
}

const COLOUR_TYPE = { 1: 0, 3: 2, 4: 6 } as const;
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Adam7 passes: first column and row, column and row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;
const BLOCK = 1 << 20;
/** 1 MiB of zeros, compressed and flushed to a byte boundary so copies can follow each other. */
const ZERO_BLOCK = deflateRawSync(Buffer.alloc(BLOCK), {
  level: 9,
  finishFlush: constants.Z_SYNC_FLUSH,
});

/** A valid PNG of the given geometry whose every sample is 0. */
export function zeroPng(image: ZeroPng): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(image.width, 0);
  header.writeUInt32BE(image.height, 4);
  header[8] = image.bitDepth ?? 8;
  header[9] = COLOUR_TYPE[image.channels];
  header[12] = image.interlaced ? 1 : 0;
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', zlibOfZeros(filteredLength(image))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Bytes of the filtered scanlines: each row is a filter byte and its samples. */
function filteredLength(image: ZeroPng): number {
  const bytesPerPixel = image.channels * ((image.bitDepth ?? 8) / 8);
  const rows = (columns: number, count: number): number =>
    columns > 0 && count > 0 ? count * (1 + columns * bytesPerPixel) : 0;
  if (!image.interlaced) return rows(image.width, image.height);
  return ADAM7.reduce(
    (total, [x0, y0, dx, dy]) =>
      total + rows(Math.ceil((image.width - x0) / dx), Math.ceil((image.height - y0) / dy)),
    0,
  );
}

/** A zlib stream of `length` zeros (header, repeated deflate blocks, Adler-32 of zeros). */
function zlibOfZeros(length: number): Buffer {
  const whole = Math.floor(length / BLOCK);
  const adler = Buffer.alloc(4);
  // Adler-32 of n zeros: a = 1, b = n mod 65521.
  adler.writeUInt32BE((((length % 65521) << 16) | 1) >>> 0);
  return Buffer.concat([
    Buffer.from([0x78, 0xda]),
    ...Array.from({ length: whole }, () => ZERO_BLOCK),
    deflateRawSync(Buffer.alloc(length - whole * BLOCK), { level: 9 }),
    adler,
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.byteLength);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
