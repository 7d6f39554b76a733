import { invalidArgument } from '../../errors/gateway-error';
import { quoted } from '../../inference/tensor-signature';
import type { SlicedWork } from '../../event-loop/sliced-work';

/** Where one input's `data` value lies in the body, and how many elements it holds. */
export interface DataSpan {
  start: number;
  end: number;
  elements: number;
}

export interface ScannedInferJson {
  /** The JSON text with each input's `data` value replaced by `null`: small, parsed as usual. */
  header: string;
  /** Each input's `data` value by the input's index in `inputs` (the last one, if given twice). */
  data: Map<number, DataSpan>;
}

/**
 * Nesting depth accepted in JSON `data`: far beyond any tensor's rank (Triton reads data flat or
 * nested to any depth), but bounded, because a body may nest arrays thousands deep.
 */
export const MAX_DATA_NESTING = 64;
/** Longest JSON number accepted: shortest round-trip doubles take 24; a longer one is an attack. */
export const MAX_NUMBER_CHARACTERS = 256;
/** Body bytes scanned between two yields to the event loop. */
const SLICE_BYTES = 64 * 1024;

/**
 * Reads a KServe infer request's JSON without building its elements: checks its syntax, finds
 * each input's `data` value (counting its elements, flat or nested) and cuts it out, so that what
 * is left (names, datatypes, shapes, parameters) can be parsed and checked against the model
 * before a single element is decoded. Nothing is allocated per element, and the scan runs in
 * slices. What is left must fit in `maxHeaderBytes`: refused as soon as it is passed.
 */
export function* scanInferJson(
  bytes: Uint8Array,
  maxHeaderBytes: number,
): SlicedWork<ScannedInferJson> {
  const scanner = new Scanner(bytes);
  for (let limit = SLICE_BYTES; ; limit += SLICE_BYTES) {
    const done = scanner.advance(Math.min(limit, bytes.byteLength));
    const headerBytes = scanner.headerBytesSoFar();
    if (headerBytes > maxHeaderBytes) {
      throw invalidArgument(
        `the request's JSON outside the inputs' data arrays is over the ${maxHeaderBytes}-byte limit ` +
          '(names, shapes and parameters are small; tensor elements belong in data)',
      );
    }
    if (done) return { header: scanner.header(), data: scanner.spans };
    yield;
  }
}

/** The bytes JSON's syntax is made of. */
const Byte = {
  Tab: 0x09,
  Lf: 0x0a,
  Cr: 0x0d,
  Space: 0x20,
  Quote: 0x22,
  Plus: 0x2b,
  Comma: 0x2c,
  Minus: 0x2d,
  Dot: 0x2e,
  Zero: 0x30,
  Nine: 0x39,
  Colon: 0x3a,
  UpperE: 0x45,
  OpenBracket: 0x5b,
  Backslash: 0x5c,
  CloseBracket: 0x5d,
  LowerE: 0x65,
  LowerU: 0x75,
  OpenBrace: 0x7b,
  CloseBrace: 0x7d,
} as const;

const enum State {
  /** A value comes next. */
  Value,
  /** A value has ended: a comma, a closing bracket or, at the top, the end. */
  AfterValue,
  /** A key (or, right after `{`, the closing brace) comes next. */
  Key,
  /** The colon after a key comes next. */
  Colon,
  /** Inside a string (key or value) begun at `stringStart`. */
  InString,
  /** Inside an input's `data` array: read by its own loop (readData). */
  Data,
  Done,
}

/** What an object or array is in the request, as far as finding `inputs[i].data` goes. */
const enum Role {
  Other,
  /** The top-level object. */
  Root,
  /** The top-level `inputs` array. */
  Inputs,
  /** One element of `inputs`. */
  Input,
}

/** Which key a value belongs to, where that matters. */
const enum Key {
  /** Right after `{` or `[`: nothing read yet, so it may close at once. */
  None,
  Other,
  Inputs,
  Data,
  Name,
}

const LITERALS: Record<number, Uint8Array> = {
  0x74: new TextEncoder().encode('true'),
  0x66: new TextEncoder().encode('false'),
  0x6e: new TextEncoder().encode('null'),
};
const KEY_BYTES = {
  inputs: new TextEncoder().encode('inputs'),
  data: new TextEncoder().encode('data'),
  name: new TextEncoder().encode('name'),
};
const ESCAPED = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

class Scanner {
  pos = 0;
  readonly spans = new Map<number, DataSpan>();
  private state = State.Value;
  // One entry per open object or array.
  private readonly isObject: boolean[] = [];
  private readonly roles: Role[] = [];
  /** Objects: the key of the value being read. Arrays: None until an element starts. */
  private readonly keys: Key[] = [];
  /** Arrays: how many elements came before the one being read. */
  private readonly counts: number[] = [];
  /** Each input's index in `inputs`, while its object is open. */
  private inputIndex = -1;
  private readonly inputNames = new Map<number, string>();
  private stringStart = 0;
  private stringIsKey = false;
  private stringEscaped = false;
  /** The open `data` value: where it began, its elements so far, where its loop stood. */
  private dataStart = -1;
  private dataElements = 0;
  private dataDepth = 0;
  private dataExpectsValue = false;
  private dataJustOpened = false;
  private dataInString = false;
  /** Every `data` value cut out of the header, in order. */
  private readonly cuts: { start: number; end: number }[] = [];
  private cutBytes = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** Scans up to `limit`; true once the whole body has been read. */
  advance(limit: number): boolean {
    const { bytes } = this;
    while (this.pos < limit) {
      switch (this.state) {
        case State.Value:
          this.skipSpace(limit);
          if (this.pos < limit) this.value();
          break;
        case State.AfterValue:
          this.skipSpace(limit);
          if (this.pos < limit) this.afterValue();
          break;
        case State.Key:
          this.skipSpace(limit);
          if (this.pos >= limit) break;
          if (bytes[this.pos] === Byte.CloseBrace && this.keys[this.keys.length - 1] === Key.None) {
            this.pos += 1;
            this.close();
          } else if (bytes[this.pos] === Byte.Quote) {
            this.openString(true);
          } else {
            this.fail('expected a key');
          }
          break;
        case State.Colon:
          this.skipSpace(limit);
          if (this.pos >= limit) break;
          if (bytes[this.pos] !== Byte.Colon) this.fail("expected ':'");
          this.pos += 1;
          this.state = State.Value;
          break;
        case State.InString:
          this.continueString(limit);
          break;
        case State.Data:
          this.readData(limit);
          break;
        case State.Done:
          this.skipSpace(limit);
          if (this.pos < limit) this.fail('unexpected content after the end');
          break;
      }
    }
    if (this.pos < this.bytes.byteLength) return false;
    if (this.state !== State.Done) this.fail('it ends before the JSON value does');
    return true;
  }

  /** Bytes read so far that are not inside a `data` value: what the header will hold. */
  headerBytesSoFar(): number {
    const open = this.dataStart >= 0 ? this.pos - this.dataStart : 0;
    return this.pos - this.cutBytes - open + this.cuts.length * 4;
  }

  header(): string {
    const text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const pieces: string[] = [];
    let from = 0;
    for (const cut of this.cuts) {
      pieces.push(text.toString('utf8', from, cut.start), 'null');
      from = cut.end;
    }
    pieces.push(text.toString('utf8', from));
    return pieces.join('');
  }

  private value(): void {
    const byte = this.bytes[this.pos];
    const depth = this.roles.length;
    const parentRole = depth === 0 ? Role.Other : this.roles[depth - 1];
    const key = depth === 0 ? Key.None : this.keys[depth - 1];
    if (depth > 0 && !this.isObject[depth - 1]) {
      if (byte === Byte.CloseBracket && key === Key.None) {
        this.pos += 1;
        this.close();
        return;
      }
      this.keys[depth - 1] = Key.Other;
    }
    if (parentRole === Role.Input && key === Key.Data) {
      // The last `data` of an input wins, as in JSON.parse.
      this.spans.delete(this.inputIndex);
      this.dataStart = this.pos;
      this.dataElements = 0;
      if (byte === Byte.OpenBracket) {
        this.pos += 1;
        this.dataDepth = 1;
        this.dataExpectsValue = true;
        this.dataJustOpened = true;
        this.state = State.Data;
        return;
      }
      if (byte === Byte.OpenBrace) this.failObjectElement();
      // A single element, read as any value.
      this.dataElements = 1;
    }
    if (byte === Byte.OpenBrace) {
      this.pos += 1;
      let role = Role.Other;
      if (depth === 0) role = Role.Root;
      else if (parentRole === Role.Inputs) {
        role = Role.Input;
        this.inputIndex = this.counts[depth - 1];
      }
      this.open(true, role);
    } else if (byte === Byte.OpenBracket) {
      this.pos += 1;
      let role = Role.Other;
      if (parentRole === Role.Root && key === Key.Inputs) {
        role = Role.Inputs;
        // The last `inputs` wins, as in JSON.parse: data found in an earlier one no longer counts.
        this.spans.clear();
        this.inputNames.clear();
      }
      this.open(false, role);
    } else if (byte === Byte.Quote) {
      this.openString(false);
    } else if (byte === Byte.Minus || (byte >= Byte.Zero && byte <= Byte.Nine)) {
      this.pos = this.numberEnd(this.pos);
      this.valueEnded();
    } else if (LITERALS[byte]) {
      this.pos = this.literalEnd(this.pos, LITERALS[byte]);
      this.valueEnded();
    } else {
      this.fail('expected a value');
    }
  }

  /**
   * Reads an input's `data` array up to `limit`: the bulk of a body, so a loop of its own over
   * local variables, that checks the syntax and counts the elements (any value but an object or
   * array, at any nesting up to MAX_DATA_NESTING) without building any of them.
   */
  private readData(limit: number): void {
    const { bytes } = this;
    let pos = this.pos;
    let depth = this.dataDepth;
    let elements = this.dataElements;
    let expectsValue = this.dataExpectsValue;
    let justOpened = this.dataJustOpened;
    if (this.dataInString) pos = this.dataString(pos, limit);
    while (pos < limit && !this.dataInString) {
      const byte = bytes[pos];
      if (byte === Byte.Space || byte === Byte.Lf || byte === Byte.Cr || byte === Byte.Tab) {
        pos += 1;
      } else if (!expectsValue) {
        if (byte === Byte.Comma) {
          expectsValue = true;
        } else if (byte === Byte.CloseBracket) {
          depth -= 1;
        } else {
          this.failAt(pos, "expected ',' or ']'");
        }
        pos += 1;
        if (depth === 0) break;
      } else if (byte === Byte.OpenBracket) {
        depth += 1;
        if (depth > MAX_DATA_NESTING) {
          this.fail(
            `${this.inputLabel()}: data nests arrays more than ${MAX_DATA_NESTING} deep`,
            false,
          );
        }
        justOpened = true;
        pos += 1;
      } else if (byte === Byte.CloseBracket && justOpened) {
        depth -= 1;
        expectsValue = false;
        justOpened = false;
        pos += 1;
        if (depth === 0) break;
      } else {
        if (byte === Byte.Quote) pos = this.dataString(pos + 1, limit);
        else if (byte === Byte.Minus || (byte >= Byte.Zero && byte <= Byte.Nine)) {
          pos = this.numberEnd(pos);
        } else if (LITERALS[byte]) pos = this.literalEnd(pos, LITERALS[byte]);
        else if (byte === Byte.OpenBrace) {
          this.dataElements = elements;
          this.failObjectElement();
        } else this.failAt(pos, 'expected a value');
        elements += 1;
        expectsValue = false;
        justOpened = false;
      }
    }
    this.pos = pos;
    this.dataDepth = depth;
    this.dataElements = elements;
    this.dataExpectsValue = expectsValue;
    this.dataJustOpened = justOpened;
    if (depth === 0) this.valueEnded();
  }

  /** Reads a string inside `data` from `pos` (past its opening quote, or where a slice stopped). */
  private dataString(start: number, limit: number): number {
    const { bytes } = this;
    let pos = start;
    while (pos < limit) {
      const byte = bytes[pos];
      if (byte === Byte.Quote) {
        this.dataInString = false;
        return pos + 1;
      }
      if (byte === Byte.Backslash) pos = this.escape(pos);
      else if (byte < Byte.Space) this.failAt(pos, 'control character in a string');
      else pos += 1;
    }
    this.dataInString = true;
    return pos;
  }

  private failObjectElement(): never {
    return this.fail(
      `${this.inputLabel()}: data element ${this.dataElements} is an object; tensor elements are numbers, booleans or strings`,
      false,
    );
  }

  private open(isObject: boolean, role: Role): void {
    this.isObject.push(isObject);
    this.roles.push(role);
    this.keys.push(Key.None);
    this.counts.push(0);
    this.state = isObject ? State.Key : State.Value;
  }

  private close(): void {
    this.isObject.pop();
    const role = this.roles.pop();
    this.keys.pop();
    this.counts.pop();
    if (role === Role.Input) this.inputIndex = -1;
    this.valueEnded();
  }

  /** A value has ended at `pos`: count it, close a `data` value, and expect what follows it. */
  private valueEnded(): void {
    const depth = this.roles.length;
    if (this.dataStart >= 0) {
      this.cuts.push({ start: this.dataStart, end: this.pos });
      this.cutBytes += this.pos - this.dataStart;
      this.spans.set(this.inputIndex, {
        start: this.dataStart,
        end: this.pos,
        elements: this.dataElements,
      });
      this.dataStart = -1;
    }
    if (depth === 0) {
      this.state = State.Done;
      return;
    }
    if (!this.isObject[depth - 1]) this.counts[depth - 1] += 1;
    this.state = State.AfterValue;
  }

  private afterValue(): void {
    const byte = this.bytes[this.pos];
    const isObject = this.isObject[this.isObject.length - 1];
    if (byte === Byte.Comma) {
      this.pos += 1;
      if (isObject) {
        this.keys[this.keys.length - 1] = Key.Other;
        this.state = State.Key;
      } else {
        this.state = State.Value;
      }
    } else if (byte === (isObject ? Byte.CloseBrace : Byte.CloseBracket)) {
      this.pos += 1;
      this.close();
    } else {
      this.fail(isObject ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }

  private openString(isKey: boolean): void {
    this.stringStart = this.pos;
    this.stringIsKey = isKey;
    this.stringEscaped = false;
    this.pos += 1;
    this.state = State.InString;
  }

  private continueString(limit: number): void {
    const { bytes } = this;
    let pos = this.pos;
    while (pos < limit) {
      const byte = bytes[pos];
      if (byte === Byte.Quote) {
        this.pos = pos + 1;
        this.stringEnded();
        return;
      }
      if (byte === Byte.Backslash) {
        this.stringEscaped = true;
        pos = this.escape(pos);
      } else if (byte < Byte.Space) {
        this.pos = pos;
        this.fail('control character in a string');
      } else {
        pos += 1;
      }
    }
    this.pos = pos;
  }

  /** Checks the escape at `pos` (it may run past the slice's limit) and returns what follows it. */
  private escape(pos: number): number {
    const next = this.bytes[pos + 1];
    if (ESCAPED.has(next)) return pos + 2;
    if (next === Byte.LowerU) {
      for (let index = pos + 2; index < pos + 6; index += 1) {
        if (!isHexDigit(this.bytes[index])) {
          this.pos = index;
          this.fail('bad \\u escape');
        }
      }
      return pos + 6;
    }
    this.pos = pos;
    return this.fail('bad escape');
  }

  private stringEnded(): void {
    if (!this.stringIsKey) {
      const depth = this.roles.length;
      if (depth > 0 && this.roles[depth - 1] === Role.Input && this.keys[depth - 1] === Key.Name) {
        this.inputNames.set(this.inputIndex, this.stringText());
      }
      this.valueEnded();
      return;
    }
    const depth = this.roles.length;
    const role = this.roles[depth - 1];
    let key = Key.Other;
    if (role === Role.Root && this.keyIs(KEY_BYTES.inputs)) key = Key.Inputs;
    else if (role === Role.Input && this.keyIs(KEY_BYTES.data)) key = Key.Data;
    else if (role === Role.Input && this.keyIs(KEY_BYTES.name)) key = Key.Name;
    this.keys[depth - 1] = key;
    this.state = State.Colon;
  }

  private keyIs(expected: Uint8Array): boolean {
    if (this.stringEscaped) return this.stringText() === new TextDecoder().decode(expected);
    const start = this.stringStart + 1;
    if (this.pos - 1 - start !== expected.byteLength) return false;
    for (let index = 0; index < expected.byteLength; index += 1) {
      if (this.bytes[start + index] !== expected[index]) return false;
    }
    return true;
  }

  /** The string just read, decoded. Only keys and names are: both count as header bytes. */
  private stringText(): string {
    const text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength)
      .subarray(this.stringStart, this.pos)
      .toString('utf8');
    return this.stringEscaped ? (JSON.parse(text) as string) : text.slice(1, -1);
  }

  /** Checks the number at `start`; returns where it ends. */
  private numberEnd(start: number): number {
    const { bytes } = this;
    let pos = start;
    if (bytes[pos] === Byte.Minus) pos += 1;
    if (bytes[pos] === Byte.Zero) pos += 1;
    else if (isDigit(bytes[pos])) while (isDigit(bytes[pos])) pos += 1;
    else this.failAt(pos, 'bad number');
    if (bytes[pos] === Byte.Dot) {
      pos += 1;
      if (!isDigit(bytes[pos])) this.failAt(pos, 'bad number');
      while (isDigit(bytes[pos])) pos += 1;
    }
    if (bytes[pos] === Byte.LowerE || bytes[pos] === Byte.UpperE) {
      pos += 1;
      if (bytes[pos] === Byte.Plus || bytes[pos] === Byte.Minus) pos += 1;
      if (!isDigit(bytes[pos])) this.failAt(pos, 'bad number');
      while (isDigit(bytes[pos])) pos += 1;
    }
    if (pos - start > MAX_NUMBER_CHARACTERS) {
      this.fail(
        `a number of ${pos - start} characters (at most ${MAX_NUMBER_CHARACTERS} are accepted)`,
        false,
      );
    }
    return pos;
  }

  private literalEnd(start: number, expected: Uint8Array): number {
    for (let index = 0; index < expected.byteLength; index += 1) {
      if (this.bytes[start + index] !== expected[index]) this.failAt(start + index, 'bad literal');
    }
    return start + expected.byteLength;
  }

  private skipSpace(limit: number): void {
    const { bytes } = this;
    let pos = this.pos;
    while (pos < limit) {
      const byte = bytes[pos];
      if (byte !== Byte.Space && byte !== Byte.Lf && byte !== Byte.Cr && byte !== Byte.Tab) break;
      pos += 1;
    }
    this.pos = pos;
  }

  private inputLabel(): string {
    const name = this.inputNames.get(this.inputIndex);
    return name === undefined ? `inputs[${this.inputIndex}]` : `input ${quoted(name)}`;
  }

  private failAt(pos: number, what: string): never {
    this.pos = pos;
    return this.fail(what);
  }

  /** `syntax`: the body is not JSON (else it is JSON this request cannot be). */
  private fail(what: string, syntax = true): never {
    if (!syntax) throw invalidArgument(what);
    throw invalidArgument(`request body is not valid JSON: ${what} (byte ${this.pos})`);
  }
}

function isDigit(byte: number): boolean {
  return byte >= Byte.Zero && byte <= Byte.Nine;
}

function isHexDigit(byte: number): boolean {
  return isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}
