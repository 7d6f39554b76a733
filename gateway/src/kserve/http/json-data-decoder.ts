import type { KServeDatatype } from '@contracts/kserve/datatype';
import { invalidArgument } from '../../errors/gateway-error';
import { BytesTensorData, storageFor, type TensorData } from '../../inference/tensor';
import { YIELD_EVERY, type SlicedWork } from '../../event-loop/sliced-work';
import type { DataSpan } from './infer-json-scanner';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_T = 0x74;
const LOWER_F = 0x66;
/** Bytes read between two yields to the event loop, inside long strings too. */
const SLICE_BYTES = 64 * 1024;

/**
 * Decodes one input's JSON `data` (flat or nested, row-major) straight into its storage: typed
 * arrays for numbers, one wire-form buffer for BYTES; no JavaScript value per element. The span
 * was checked by the scanner (valid JSON, `count` elements, no objects) and its input against the
 * model, so `count` is what the model accepts; the work runs in slices.
 */
export function* decodeJsonData(
  /** Names the tensor in errors, e.g. `input 'images'`. */
  label: string,
  body: Uint8Array,
  span: DataSpan,
  datatype: KServeDatatype,
  count: number,
): SlicedWork<TensorData> {
  if (datatype === 'FP16' || datatype === 'BF16') {
    throw invalidArgument(`${label}: ${datatype} data must use the binary tensor data extension`);
  }
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const element = elementWriter(label, datatype, count, span);
  let index = 0;
  let pos = span.start;
  let nextYield = pos + SLICE_BYTES;
  while (pos < span.end) {
    const byte = text[pos];
    if (byte === QUOTE) {
      const start = pos;
      let escaped = false;
      pos += 1;
      while (text[pos] !== QUOTE) {
        if (text[pos] === BACKSLASH) {
          escaped = true;
          pos += 2;
        } else {
          pos += 1;
        }
        if (pos >= nextYield) {
          yield;
          nextYield = pos + SLICE_BYTES;
        }
      }
      pos += 1;
      element.string(index, text, start, pos, escaped);
    } else if (byte === MINUS || (byte >= ZERO && byte <= NINE)) {
      const start = pos;
      while (pos < span.end && isNumberByte(text[pos])) pos += 1;
      element.number(index, text, start, pos);
    } else if (byte === LOWER_T || byte === LOWER_F || byte === 0x6e /* null */) {
      const start = pos;
      pos += byte === LOWER_F ? 5 : 4;
      element.literal(index, text.toString('latin1', start, pos));
    } else {
      // Whitespace, brackets and commas: the scanner checked where they may stand.
      pos += 1;
      continue;
    }
    index += 1;
    if (index % YIELD_EVERY === 0 || pos >= nextYield) {
      yield;
      nextYield = pos + SLICE_BYTES;
    }
  }
  return element.finish();
}

interface ElementWriter {
  number(index: number, text: Buffer, start: number, end: number): void;
  string(index: number, text: Buffer, start: number, end: number, escaped: boolean): void;
  literal(index: number, literal: string): void;
  finish(): TensorData;
}

function elementWriter(
  label: string,
  datatype: Exclude<KServeDatatype, 'FP16' | 'BF16'>,
  count: number,
  span: DataSpan,
): ElementWriter {
  const wrong = (index: number, expected: string, got: string): never => {
    throw invalidArgument(`${label}: element ${index} must be ${expected}, got ${got}`);
  };
  const shownString = (text: Buffer, start: number, end: number): string =>
    end - start > 42
      ? `${text.toString('utf8', start, start + 41)}…" (${end - start - 2} bytes)`
      : text.toString('utf8', start, end);

  if (datatype === 'BYTES') {
    // Each element's text is at most as long as its JSON string: the span bounds the buffer.
    const writer = BytesTensorData.writer(count * 4 + (span.end - span.start));
    return {
      number: (index, text, start, end) =>
        wrong(index, 'a string', text.toString('latin1', start, end)),
      literal: (index, literal) => wrong(index, 'a string', literal),
      string: (_index, text, start, end, escaped) => {
        if (escaped) writer.pushText(JSON.parse(text.toString('utf8', start, end)) as string);
        else writer.push(text.subarray(start + 1, end - 1));
      },
      finish: () => writer.finish(),
    };
  }

  const storage = new (storageFor(datatype))(count);
  if (datatype === 'BOOL') {
    return {
      number: (index, text, start, end) =>
        wrong(index, 'a boolean', text.toString('latin1', start, end)),
      string: (index, text, start, end) => wrong(index, 'a boolean', shownString(text, start, end)),
      literal: (index, literal) => {
        if (literal === 'null') wrong(index, 'a boolean', literal);
        storage[index] = literal === 'true' ? 1 : 0;
      },
      finish: () => storage,
    };
  }

  const integer = datatype.startsWith('INT') || datatype.startsWith('UINT');
  const big = storage instanceof BigInt64Array || storage instanceof BigUint64Array;
  const expected = integer ? 'an integer' : 'a finite number';
  return {
    number: (index, text, start, end) => {
      const value = parseNumber(text, start, end);
      if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
        wrong(index, expected, text.toString('latin1', start, end));
      }
      if (big) storage[index] = BigInt(value);
      else storage[index] = value;
    },
    string: (index, text, start, end) => wrong(index, expected, shownString(text, start, end)),
    literal: (index, literal) => wrong(index, expected, literal),
    finish: () => storage,
  };
}

/** Powers of ten that are exact doubles. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, exponent) => 10 ** exponent);

/**
 * A JSON number (already checked to be one) as a double, without making a string of it when it
 * has at most 15 digits and no exponent: the digits are then an exact integer and one division
 * by an exact power of ten rounds correctly (Clinger's fast path). Anything else: Number().
 */
function parseNumber(text: Buffer, start: number, end: number): number {
  let pos = start;
  const negative = text[pos] === MINUS;
  if (negative) pos += 1;
  let digits = 0;
  let fraction = 0;
  let mantissa = 0;
  while (pos < end && text[pos] >= ZERO && text[pos] <= NINE) {
    mantissa = mantissa * 10 + (text[pos] - ZERO);
    digits += 1;
    pos += 1;
  }
  if (pos < end && text[pos] === DOT) {
    pos += 1;
    while (pos < end && text[pos] >= ZERO && text[pos] <= NINE) {
      mantissa = mantissa * 10 + (text[pos] - ZERO);
      digits += 1;
      fraction += 1;
      pos += 1;
    }
  }
  if (pos !== end || digits > 15) return Number(text.toString('latin1', start, end));
  const value = mantissa / EXACT_POWERS_OF_TEN[fraction];
  return negative ? -value : value;
}

function isNumberByte(byte: number): boolean {
  return (
    (byte >= ZERO && byte <= NINE) ||
    byte === MINUS ||
    byte === DOT ||
    byte === 0x2b /* + */ ||
    byte === 0x65 /* e */ ||
    byte === 0x45 /* E */
  );
}
