import type { KServeDatatype } from '@contracts/kserve/datatype';
import { invalidArgument } from '../../errors/gateway-error';
import { elementCount, storageFor, type TensorData } from '../../inference/tensor';

/** Flattens KServe JSON `data` (flat or nested row-major arrays) into typed storage. */
export function tensorDataFromJson(
  name: string,
  datatype: KServeDatatype,
  shape: number[],
  data: unknown,
): TensorData {
  const values = flattenData(name, data);
  const count = elementCount(shape);
  if (values.length !== count) {
    throw invalidArgument(
      `input '${name}': shape [${shape.join(',')}] needs ${count} elements, got ${values.length}`,
    );
  }
  if (datatype === 'BYTES') {
    const encoder = new TextEncoder();
    return values.map((value, index) => {
      if (typeof value !== 'string') throw elementError(name, index, 'a string', value);
      return encoder.encode(value);
    });
  }
  if (datatype === 'FP16' || datatype === 'BF16') {
    throw invalidArgument(
      `input '${name}': ${datatype} data must use the binary tensor data extension`,
    );
  }
  const storage = new (storageFor(datatype))(count);
  if (datatype === 'BOOL') {
    values.forEach((value, index) => {
      if (typeof value !== 'boolean') throw elementError(name, index, 'a boolean', value);
      storage[index] = value ? 1 : 0;
    });
    return storage;
  }
  const integer = datatype.startsWith('INT') || datatype.startsWith('UINT');
  const big = datatype === 'INT64' || datatype === 'UINT64';
  values.forEach((value, index) => {
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      (integer && !Number.isInteger(value))
    ) {
      throw elementError(name, index, integer ? 'an integer' : 'a finite number', value);
    }
    if (big) (storage as BigInt64Array | BigUint64Array)[index] = BigInt(value);
    else (storage as Float32Array)[index] = value;
  });
  return storage;
}

/**
 * Nesting depth accepted in JSON `data`: far beyond any tensor's rank (Triton reads data flat or
 * nested to any depth), but bounded, because a body may nest arrays thousands deep.
 */
const MAX_DATA_NESTING = 64;

/**
 * Row-major elements of `data`, flat or nested. Iterative and bounded: recursing on untrusted
 * nesting (as `Array.prototype.flat` does) overflows the stack.
 */
function flattenData(name: string, data: unknown): unknown[] {
  if (!Array.isArray(data)) return [data];
  const values: unknown[] = [];
  const stack: { array: unknown[]; next: number }[] = [{ array: data, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next === top.array.length) {
      stack.pop();
      continue;
    }
    const item = top.array[top.next];
    top.next += 1;
    if (!Array.isArray(item)) {
      values.push(item);
    } else if (stack.length === MAX_DATA_NESTING) {
      throw invalidArgument(
        `input '${name}': data nests arrays more than ${MAX_DATA_NESTING} deep`,
      );
    } else {
      stack.push({ array: item, next: 0 });
    }
  }
  return values;
}

function elementError(name: string, index: number, expected: string, got: unknown) {
  return invalidArgument(
    `input '${name}': element ${index} must be ${expected}, got ${describe(got)}`,
  );
}

/** A short description of a bad element: never the whole of a (possibly huge or deep) value. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

/** Typed storage → JSON array for a response (64-bit integers become JSON numbers). */
export function tensorDataToJson(
  name: string,
  datatype: KServeDatatype,
  data: TensorData,
): unknown[] {
  if (Array.isArray(data)) {
    const decoder = new TextDecoder();
    return data.map((element) => decoder.decode(element));
  }
  if (datatype === 'FP16' || datatype === 'BF16') {
    throw invalidArgument(
      `output '${name}' is ${datatype}: request it with the binary tensor data extension`,
    );
  }
  if (datatype === 'BOOL') return Array.from(data as Uint8Array, (value) => value !== 0);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array)
    return Array.from(data, Number);
  return Array.from(data as Float32Array);
}
