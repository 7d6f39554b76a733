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
  const values = Array.isArray(data) ? (data.flat(Infinity) as unknown[]) : [data];
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

function elementError(name: string, index: number, expected: string, got: unknown) {
  return invalidArgument(
    `input '${name}': element ${index} must be ${expected}, got ${JSON.stringify(got) ?? typeof got}`,
  );
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
