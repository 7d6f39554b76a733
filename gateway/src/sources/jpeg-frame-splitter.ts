/** Why bytes that started a frame did not become one. */
export type SplitDropReason = 'oversized' | 'malformed';

export interface SplitterCounts {
  frames: number;
  dropped: Record<SplitDropReason, number>;
}

const MARKER = 0xff;
const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;
const RST0 = 0xd0;
const RST7 = 0xd7;
const STUFFED = 0x00;
const LEADING_MARKER = Buffer.from([MARKER]);

/**
 * Where the parser is inside the byte stream. Between SOI and SOS a JPEG is a list of marker
 * segments with lengths (skipped whole, so bytes inside them, e.g. an EXIF thumbnail's own
 * SOI/EOI, are never taken for markers); after SOS, entropy-coded data where 0xFF is always
 * followed by 0x00 (a stuffed byte), a restart marker, or a real marker such as EOI.
 */
type Phase = 'seek-start' | 'marker' | 'length' | 'segment' | 'entropy';

/**
 * Cuts an MJPEG byte stream (ffmpeg's image2pipe) into JPEG frames, across any chunking. A frame
 * over maxFrameBytes is dropped and counted, and parsing resumes at the next start of image;
 * garbage is skipped. Memory held: the frame being assembled (≤ maxFrameBytes, plus the chunk it
 * ends in) and the chunks appended but not yet parsed: append only after next() returned
 * undefined, or the caller buffers without bound.
 */
export class JpegFrameSplitter {
  private readonly pending: Buffer[] = [];
  private offset = 0;
  private phase: Phase = 'seek-start';
  private sawMarker = false;
  private segmentMarker = 0;
  private lengthHigh: number | undefined;
  private segmentLeft = 0;
  /** Whether the frame reached its image data (SOS): a frame without any is malformed. */
  private sawScan = false;
  /** Pieces of the frame so far, from chunks already parsed past. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Where the frame starts in the chunk being parsed; -1 when it started in an earlier one. */
  private frameStart = -1;
  private readonly tally: SplitterCounts = { frames: 0, dropped: { oversized: 0, malformed: 0 } };

  constructor(readonly maxFrameBytes: number) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 4) {
      throw new RangeError('maxFrameBytes must be a whole number of at least 4 bytes');
    }
  }

  append(chunk: Buffer): void {
    if (chunk.length > 0) this.pending.push(chunk);
  }

  /** The next complete frame (a copy that holds no chunk alive), or undefined until more bytes. */
  next(): Buffer | undefined {
    while (this.pending.length > 0) {
      const chunk = this.pending[0];
      const frame = this.parse(chunk);
      if (frame) return frame;
      this.finishChunk(chunk);
    }
    return undefined;
  }

  /** Bytes held alive: the frame assembled so far and the chunks not fully parsed. */
  get heldBytes(): number {
    let held = this.partBytes;
    for (const chunk of this.pending) held += chunk.length;
    return held;
  }

  get counts(): SplitterCounts {
    return { ...this.tally, dropped: { ...this.tally.dropped } };
  }

  private get inFrame(): boolean {
    return this.phase !== 'seek-start';
  }

  /** Parses `chunk` from `offset`; returns a frame as soon as one ends, leaving offset after it. */
  private parse(chunk: Buffer): Buffer | undefined {
    let at = this.offset;
    while (at < chunk.length) {
      if (this.phase === 'seek-start') {
        at = this.seekStart(chunk, at);
      } else if (this.phase === 'segment') {
        const skipped = Math.min(this.segmentLeft, chunk.length - at);
        this.segmentLeft -= skipped;
        at += skipped;
        if (this.segmentLeft === 0) this.phase = this.segmentMarker === SOS ? 'entropy' : 'marker';
      } else if (this.phase === 'length') {
        at = this.readLength(chunk, at);
      } else if (this.phase === 'entropy' && !this.sawMarker) {
        // Entropy-coded data is most of a frame: jump to the next 0xFF natively.
        const found = chunk.indexOf(MARKER, at);
        if (found < 0) {
          at = chunk.length;
        } else {
          this.sawMarker = true;
          at = found + 1;
        }
      } else {
        const code = chunk[at];
        at += 1;
        const frame = this.markerByte(chunk, at, code);
        if (frame) {
          this.offset = at;
          return frame;
        }
      }
    }
    this.offset = at;
    return undefined;
  }

  private seekStart(chunk: Buffer, from: number): number {
    let at = from;
    while (at < chunk.length) {
      const byte = chunk[at];
      at += 1;
      if (this.sawMarker && byte === SOI) {
        this.beginFrame(at - 1);
        return at;
      }
      // Kept across chunks: an SOI may be split between two of them.
      this.sawMarker = byte === MARKER;
    }
    return at;
  }

  /** A frame starts at the SOI code at `soiAt` (its 0xFF is just before, maybe in the last chunk). */
  private beginFrame(soiAt: number): void {
    this.parts = [];
    this.partBytes = 0;
    if (soiAt === 0) {
      this.parts.push(LEADING_MARKER);
      this.partBytes = 1;
      this.frameStart = 0;
    } else {
      this.frameStart = soiAt - 1;
    }
    this.phase = 'marker';
    this.sawMarker = false;
    this.sawScan = false;
  }

  /** The byte after a 0xFF (or where one is expected) inside a frame; returns a completed frame. */
  private markerByte(chunk: Buffer, after: number, code: number): Buffer | undefined {
    if (!this.sawMarker) {
      // Between segments only a marker may follow; anything else means the stream is corrupt.
      if (code === MARKER) this.sawMarker = true;
      else this.abandon('malformed');
      return undefined;
    }
    if (code === MARKER) return undefined; // fill byte: the marker code is still to come
    this.sawMarker = false;
    if (this.phase === 'entropy' && (code === STUFFED || (code >= RST0 && code <= RST7))) {
      return undefined;
    }
    if (code === EOI) {
      if (this.sawScan) return this.completeFrame(chunk, after);
      this.abandon('malformed');
      return undefined;
    }
    if (code === SOI) {
      // A new image before this one ended: this one is cut short.
      this.abandon('malformed');
      this.beginFrame(after - 1);
      return undefined;
    }
    if (code === STUFFED) {
      this.abandon('malformed');
      return undefined;
    }
    if (code === TEM || (code >= RST0 && code <= RST7)) {
      this.phase = 'marker';
      return undefined;
    }
    this.segmentMarker = code;
    if (code === SOS) this.sawScan = true;
    this.lengthHigh = undefined;
    this.phase = 'length';
    return undefined;
  }

  private readLength(chunk: Buffer, at: number): number {
    const byte = chunk[at];
    if (this.lengthHigh === undefined) {
      this.lengthHigh = byte;
      return at + 1;
    }
    const length = (this.lengthHigh << 8) | byte;
    if (length < 2) {
      this.abandon('malformed');
      return at + 1;
    }
    this.segmentLeft = length - 2;
    this.phase = 'segment';
    if (this.segmentLeft === 0) this.phase = this.segmentMarker === SOS ? 'entropy' : 'marker';
    return at + 1;
  }

  /** The chunk is parsed to its end: keep the frame's part of it, or drop an oversized frame. */
  private finishChunk(chunk: Buffer): void {
    this.pending.shift();
    this.offset = 0;
    if (!this.inFrame) return;
    const start = Math.max(this.frameStart, 0);
    this.parts.push(chunk.subarray(start));
    this.partBytes += chunk.length - start;
    this.frameStart = -1;
    // Checked per chunk, so the held bytes stay under maxFrameBytes plus one chunk.
    if (this.partBytes > this.maxFrameBytes) this.abandon('oversized');
  }

  private completeFrame(chunk: Buffer, end: number): Buffer | undefined {
    const start = Math.max(this.frameStart, 0);
    const size = this.partBytes + end - start;
    if (size > this.maxFrameBytes) {
      this.abandon('oversized');
      return undefined;
    }
    // A copy: a slice would keep the whole 64 KiB read chunk alive in every queue holding it.
    const frame = Buffer.concat([...this.parts, chunk.subarray(start, end)], size);
    this.reset();
    this.tally.frames += 1;
    return frame;
  }

  /**
   * Drops the frame being assembled (counted) and looks for the next start of image. Inside a
   * well-formed frame's image data 0xFF 0xD8 cannot occur (0xFF is always stuffed), so the next
   * SOI found is the next frame's.
   */
  private abandon(reason: SplitDropReason): void {
    this.tally.dropped[reason] += 1;
    this.reset();
  }

  private reset(): void {
    this.parts = [];
    this.partBytes = 0;
    this.frameStart = -1;
    this.phase = 'seek-start';
    this.sawMarker = false;
    this.sawScan = false;
  }
}
