import { invalidArgument } from '../errors/gateway-error';
import { YIELD_EVERY, type SlicedWork } from '../event-loop/sliced-work';

/** Bytes of the little-endian length that precedes each BYTES element on the wire. */
const PREFIX = 4;

/**
 * The elements of a BYTES tensor in the form every KServe wire carries them (raw contents, binary
 * extension, Triton): each a 4-byte little-endian length, then that many bytes, in one buffer.
 * One object per tensor, not per element: 16.5 M empty elements are 66 MB here, and were 1.6 GiB
 * as one Uint8Array each.
 */
export class BytesTensorData {
  private constructor(
    /** The elements in wire form. */
    readonly raw: Uint8Array,
    /** How many elements `raw` holds (its framing was checked when it was built). */
    readonly length: number,
  ) {}

  /** Elements given one by one (a backend's outputs, tests), packed into one buffer. */
  static of(elements: readonly Uint8Array[]): BytesTensorData {
    const total = elements.reduce((sum, element) => sum + PREFIX + element.byteLength, 0);
    const raw = new Uint8Array(total);
    let offset = 0;
    for (const element of elements) {
      writeLength(raw, offset, element.byteLength);
      raw.set(element, offset + PREFIX);
      offset += PREFIX + element.byteLength;
    }
    return new BytesTensorData(raw, elements.length);
  }

  /**
   * Builds a tensor element by element into one buffer of `capacity` bytes (prefixes included),
   * for decoders that know an upper bound of the size before they start.
   */
  static writer(capacity: number): BytesTensorWriter {
    const raw = Buffer.allocUnsafe(capacity);
    let offset = 0;
    let count = 0;
    const reserve = (length: number): number => {
      if (offset + PREFIX + length > capacity) {
        throw new RangeError(`BYTES elements overrun the ${capacity} bytes reserved for them`);
      }
      writeLength(raw, offset, length);
      const start = offset + PREFIX;
      offset = start + length;
      count += 1;
      return start;
    };
    return {
      push: (element) => raw.set(element, reserve(element.byteLength)),
      pushText: (text) => {
        const length = Buffer.byteLength(text, 'utf8');
        raw.write(text, reserve(length), length, 'utf8');
      },
      finish: () => new BytesTensorData(raw.subarray(0, offset), count),
    };
  }

  /**
   * Wire-form bytes that must hold exactly `count` elements, none overrunning the end. Checked
   * without allocating: a count the bytes cannot hold is refused before anything is walked, and the
   * walk itself is sliced (`label` names the tensor in errors, e.g. `input 'text'`).
   */
  static *fromWire(label: string, raw: Uint8Array, count: number): SlicedWork<BytesTensorData> {
    if (count * PREFIX > raw.byteLength) {
      throw invalidArgument(
        `${label}: its shape needs ${count} BYTES elements, but ${raw.byteLength} bytes hold at most ${Math.floor(raw.byteLength / PREFIX)}`,
      );
    }
    let offset = 0;
    for (let index = 0; index < count; index += 1) {
      if (offset + PREFIX > raw.byteLength) {
        throw invalidArgument(
          `${label}: its shape needs ${count} BYTES elements, the data holds ${index}`,
        );
      }
      offset += PREFIX + readLength(raw, offset);
      if (offset > raw.byteLength) {
        throw invalidArgument(`${label}: BYTES element ${index} overruns the data`);
      }
      if (index % YIELD_EVERY === YIELD_EVERY - 1) yield;
    }
    if (offset !== raw.byteLength) {
      throw invalidArgument(
        `${label}: ${raw.byteLength - offset} bytes follow the ${count} BYTES elements its shape holds`,
      );
    }
    return new BytesTensorData(raw, count);
  }

  /** Bytes of element content, without the length prefixes. */
  get contentBytes(): number {
    return this.raw.byteLength - PREFIX * this.length;
  }

  /** Each element, in order, as a view into `raw`. */
  *elements(): Generator<Uint8Array, void, void> {
    let offset = 0;
    for (let index = 0; index < this.length; index += 1) {
      const length = readLength(this.raw, offset);
      yield this.raw.subarray(offset + PREFIX, offset + PREFIX + length);
      offset += PREFIX + length;
    }
  }

  /** Consecutive parts of `counts` elements each (a batch cut back per member), sharing memory. */
  split(counts: readonly number[]): BytesTensorData[] {
    const parts: BytesTensorData[] = [];
    let offset = 0;
    for (const count of counts) {
      const start = offset;
      for (let index = 0; index < count; index += 1)
        offset += PREFIX + readLength(this.raw, offset);
      parts.push(new BytesTensorData(this.raw.subarray(start, offset), count));
    }
    return parts;
  }

  /** The parts' elements, in order, in one tensor (a batch formed from its members). */
  static concat(parts: readonly BytesTensorData[]): BytesTensorData {
    const raw = new Uint8Array(parts.reduce((sum, part) => sum + part.raw.byteLength, 0));
    let offset = 0;
    for (const part of parts) {
      raw.set(part.raw, offset);
      offset += part.raw.byteLength;
    }
    return new BytesTensorData(
      raw,
      parts.reduce((sum, part) => sum + part.length, 0),
    );
  }
}

export interface BytesTensorWriter {
  /** Appends an element. */
  push(element: Uint8Array): void;
  /** Appends an element given as text (UTF-8). */
  pushText(text: string): void;
  finish(): BytesTensorData;
}

function readLength(raw: Uint8Array, offset: number): number {
  return (
    (raw[offset] | (raw[offset + 1] << 8) | (raw[offset + 2] << 16) | (raw[offset + 3] << 24)) >>> 0
  );
}

function writeLength(raw: Uint8Array, offset: number, length: number): void {
  raw[offset] = length & 0xff;
  raw[offset + 1] = (length >>> 8) & 0xff;
  raw[offset + 2] = (length >>> 16) & 0xff;
  raw[offset + 3] = (length >>> 24) & 0xff;
}
