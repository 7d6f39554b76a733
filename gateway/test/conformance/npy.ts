/**
 * The few lines of NumPy's .npy format (version 1.0, little-endian float32, C order) the conformance
 * tests need to hand tensors to Python reference scripts and read theirs back, byte for byte.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const MAGIC = Buffer.from('\x93NUMPY', 'latin1');
const PREAMBLE = MAGIC.length + 2 + 2; // magic, version major/minor, uint16 header length

export interface NpyFloat32 {
  shape: number[];
  data: Float32Array;
}

/** Writes a C-ordered '<f4' array; the header is padded so that the data starts 64-byte aligned. */
export function writeNpyFloat32(path: string, data: Float32Array, shape: number[]): void {
  const count = shape.reduce((product, dim) => product * dim, 1);
  if (count !== data.length)
    throw new Error(`shape [${shape.join(',')}] needs ${count} values, got ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat(63 - ((PREAMBLE + header.length) % 64)) + '\n';
  const preamble = Buffer.alloc(PREAMBLE);
  MAGIC.copy(preamble);
  preamble.writeUInt8(1, MAGIC.length);
  preamble.writeUInt8(0, MAGIC.length + 1);
  preamble.writeUInt16LE(header.length, MAGIC.length + 2);
  writeFileSync(
    path,
    Buffer.concat([
      preamble,
      Buffer.from(header, 'latin1'),
      Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    ]),
  );
}

/** Reads a .npy written by numpy.save; anything but a little-endian float32 C-ordered array throws. */
export function readNpyFloat32(path: string): NpyFloat32 {
  const file = readFileSync(path);
  if (!file.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`${path}: not a .npy file`);
  const major = file.readUInt8(MAGIC.length);
  const headerLength =
    major === 1 ? file.readUInt16LE(MAGIC.length + 2) : file.readUInt32LE(MAGIC.length + 2);
  const dataStart = MAGIC.length + 2 + (major === 1 ? 2 : 4) + headerLength;
  const header = file.subarray(dataStart - headerLength, dataStart).toString('latin1');
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr !== '<f4' || fortran !== 'False' || shapeText === undefined) {
    throw new Error(`${path}: expected a C-ordered '<f4' array, header is ${header.trim()}`);
  }
  const shape = shapeText
    .split(',')
    .map((dim) => dim.trim())
    .filter((dim) => dim !== '')
    .map(Number);
  // Copy into a fresh, aligned buffer: the data offset inside the file is not a multiple of 4 in general.
  const bytes = Uint8Array.prototype.slice.call(file, dataStart);
  const data = new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
  const count = shape.reduce((product, dim) => product * dim, 1);
  if (data.length !== count)
    throw new Error(`${path}: shape [${shape.join(',')}] but ${data.length} values`);
  return { shape, data };
}
