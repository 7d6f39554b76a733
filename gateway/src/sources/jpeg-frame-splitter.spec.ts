import fc from 'fast-check';
import sharp from 'sharp';
import { JpegFrameSplitter } from './jpeg-frame-splitter';

/** A JPEG of noise (noise compresses badly: size grows with the pixel count). */
function noiseJpeg(width: number, height: number, progressive = false): Promise<Buffer> {
  return sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .jpeg({ quality: 90, progressive })
    .toBuffer();
}

/** `jpeg` with an APP1 segment holding a whole thumbnail JPEG (its own SOI and EOI) after SOI. */
function withThumbnail(jpeg: Buffer, thumbnail: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from('Exif\0\0'), thumbnail]);
  const header = Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
  return Buffer.concat([jpeg.subarray(0, 2), header, payload, jpeg.subarray(2)]);
}

/** Everything the splitter gives for `stream` cut into chunks at `cuts`. */
function split(splitter: JpegFrameSplitter, stream: Buffer, cuts: number[]): Buffer[] {
  const frames: Buffer[] = [];
  const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const point of [...points, stream.length]) {
    splitter.append(stream.subarray(from, point));
    from = Math.max(from, point);
    for (let frame = splitter.next(); frame; frame = splitter.next()) frames.push(frame);
  }
  return frames;
}

let frames: Buffer[];
let big: Buffer;

/** Which known frame each output is (jest's deep equality on Buffers is far too slow here). */
function names(out: Buffer[]): string[] {
  return out.map((frame) => {
    const known = [...frames, big].findIndex((candidate) => candidate.equals(frame));
    return known === frames.length
      ? 'big'
      : known >= 0
        ? `frame ${known}`
        : `unknown ${frame.length} B`;
  });
}

const ALL = ['frame 0', 'frame 1', 'frame 2', 'frame 3'];

beforeAll(async () => {
  const thumbnail = await noiseJpeg(8, 8);
  frames = [
    await noiseJpeg(64, 48),
    await noiseJpeg(32, 32, true),
    withThumbnail(await noiseJpeg(40, 30), thumbnail),
    await noiseJpeg(16, 120),
  ];
  big = await noiseJpeg(512, 512);
});

describe('JpegFrameSplitter', () => {
  it('cuts real JPEGs out of one stream, byte for byte, each decodable', async () => {
    const splitter = new JpegFrameSplitter(1 << 20);
    const out = split(splitter, Buffer.concat(frames), []);
    expect(names(out)).toEqual(ALL);
    const sizes = await Promise.all(out.map((frame) => sharp(frame).metadata()));
    expect(sizes.map(({ width, height }) => [width, height])).toEqual([
      [64, 48],
      [32, 32],
      [40, 30],
      [16, 120],
    ]);
    expect(splitter.counts).toEqual({ frames: 4, dropped: { oversized: 0, malformed: 0 } });
  });

  it('finds the same frames wherever the stream is cut, markers split included', () => {
    const stream = Buffer.concat(frames);
    // Every cut position once: each marker byte pair is split somewhere.
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(names(split(new JpegFrameSplitter(1 << 20), stream, [cut]))).toEqual(ALL);
    }
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        expect(names(split(new JpegFrameSplitter(1 << 20), stream, cuts))).toEqual(ALL);
      }),
    );
  });

  it('skips garbage without 0xFF between frames', () => {
    const garbage = fc.uint8Array({ maxLength: 300 }).map((bytes) => bytes.map((b) => b % 255));
    fc.assert(
      fc.property(
        fc.array(garbage, { minLength: 5, maxLength: 5 }),
        fc.array(fc.nat()),
        (junk, cuts) => {
          const stream = Buffer.concat([
            Buffer.from(junk[0]),
            ...frames.flatMap((frame, k) => [frame, Buffer.from(junk[k + 1])]),
          ]);
          expect(names(split(new JpegFrameSplitter(1 << 20), stream, cuts))).toEqual(ALL);
        },
      ),
    );
  });

  it('drops a frame over maxFrameBytes, counts it, and resyncs on the next frame', () => {
    const splitter = new JpegFrameSplitter(big.length - 1);
    const stream = Buffer.concat([frames[0], big, frames[1], big, big, frames[3]]);
    let held = 0;
    const out: Buffer[] = [];
    for (let at = 0; at < stream.length; at += 4096) {
      splitter.append(stream.subarray(at, at + 4096));
      for (let frame = splitter.next(); frame; frame = splitter.next()) out.push(frame);
      held = Math.max(held, splitter.heldBytes);
    }
    expect(names(out)).toEqual(['frame 0', 'frame 1', 'frame 3']);
    expect(splitter.counts.dropped.oversized).toBe(3);
    expect(held).toBeLessThanOrEqual(big.length - 1 + 4096);
  });

  it('drops an oversized frame that arrives in one chunk', () => {
    const splitter = new JpegFrameSplitter(big.length - 1);
    expect(names(split(splitter, Buffer.concat([big, frames[3]]), []))).toEqual(['frame 3']);
    expect(splitter.counts.dropped.oversized).toBe(1);
  });

  it('stays bounded on random bytes, then finds real frames again', () => {
    const maxFrameBytes = 4096;
    const chunkBytes = 1500;
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 20_000 }),
        fc.constantFrom(0, 0xff, 0xd8, 0xd9, 0xda),
        (noise, bias) => {
          // Marker-heavy noise too: random bytes rarely form FF D8 on their own.
          const hostile = Buffer.from(noise.map((byte, k) => (k % 3 === 0 ? bias : byte)));
          // Zeros end any segment a false start may be skipping (at most 64 KiB).
          const stream = Buffer.concat([hostile, Buffer.alloc(70_000), frames[0], frames[3]]);
          const splitter = new JpegFrameSplitter(maxFrameBytes);
          const out: Buffer[] = [];
          let held = 0;
          for (let at = 0; at < stream.length; at += chunkBytes) {
            splitter.append(stream.subarray(at, at + chunkBytes));
            for (let frame = splitter.next(); frame; frame = splitter.next()) out.push(frame);
            held = Math.max(held, splitter.heldBytes);
          }
          expect(held).toBeLessThanOrEqual(maxFrameBytes + chunkBytes);
          expect(Math.max(0, ...out.map((frame) => frame.length))).toBeLessThanOrEqual(
            maxFrameBytes,
          );
          expect(names(out.slice(-2))).toEqual(['frame 0', 'frame 3']);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counts a frame cut short by the next one as malformed and keeps the next', () => {
    const splitter = new JpegFrameSplitter(1 << 20);
    const cut = frames[0].subarray(0, frames[0].length >> 1);
    expect(names(split(splitter, Buffer.concat([cut, frames[1]]), []))).toEqual(['frame 1']);
    expect(splitter.counts.dropped.malformed).toBe(1);
  });

  it('returns copies that keep no read chunk alive', () => {
    const splitter = new JpegFrameSplitter(1 << 20);
    const stream = Buffer.concat([big, big]);
    const [first] = split(splitter, stream, []);
    stream.fill(0);
    expect(first.equals(big)).toBe(true);
    expect(first.buffer.byteLength).toBe(big.length);
  });
});
