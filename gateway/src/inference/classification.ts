import type { KServeDatatype } from '@contracts/kserve/datatype';
import { invalidArgument } from '../errors/gateway-error';
import type { ModelMetadata, InferResponse } from '../request-path/inference-backend';
import { YIELD_EVERY, type SlicedWork } from '../event-loop/sliced-work';
import { BytesTensorData, elementCount, type InferTensor, type NumericTensorData } from './tensor';
import { quoted } from './tensor-signature';

/**
 * Triton's classification extension: an output requested with the parameter `classification: N`
 * comes back as its N highest values per batch row, each the BYTES string
 * `<value>:<index>[:<label>]`, shape [batch, N] ([N] for a model that does not batch).
 */

/** Requested class counts by output name. */
export type ClassCounts = ReadonlyMap<string, number>;

/** The datatypes Triton classifies (classification.cc); it refuses the rest (FP16, BF16, BOOL, BYTES). */
const CLASSIFIABLE: ReadonlySet<KServeDatatype> = new Set([
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP32',
  'FP64',
]);

/** A caller's `classification` parameter for `output`: a positive whole number. */
export function classCountOf(output: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value;
  const shown = typeof value === 'bigint' ? String(value) : JSON.stringify(value);
  throw invalidArgument(
    `output ${quoted(output)}: parameter 'classification' must be a positive integer (how many classes to return), got ${String(shown).slice(0, 40)}`,
  );
}

/** The precheck against the routed version: each classified output has a datatype Triton classifies. */
export function checkClassCounts(metadata: ModelMetadata, counts: ClassCounts | undefined): void {
  for (const name of counts?.keys() ?? []) {
    const output = metadata.outputs.find((candidate) => candidate.name === name);
    if (!output) continue; // the signature check names unknown outputs
    if (!CLASSIFIABLE.has(output.datatype)) {
      throw invalidArgument(
        `output '${name}': parameter 'classification' needs a numeric output (not FP16, BF16, BOOL or BYTES); it is ${output.datatype}`,
      );
    }
  }
}

/**
 * The answer with each classified output replaced by its top classes, in slices (a row may hold
 * hundreds of thousands of elements). Ordered by value, highest first; equal values by index,
 * lowest first (Triton leaves their order unspecified); NaN last.
 */
export function* classified(
  response: InferResponse,
  counts: ClassCounts | undefined,
  metadata: ModelMetadata,
): SlicedWork<InferResponse> {
  if (!counts?.size) return response;
  const outputs: InferTensor[] = [];
  for (const tensor of response.outputs) {
    const count = counts.get(tensor.name);
    outputs.push(
      count === undefined
        ? tensor
        : yield* classify(tensor, count, labelsFor(tensor.name, metadata), metadata.maxBatchSize),
    );
  }
  return { ...response, outputs };
}

function* classify(
  tensor: InferTensor,
  count: number,
  labels: readonly string[] | undefined,
  maxBatchSize: number,
): SlicedWork<InferTensor> {
  if (!CLASSIFIABLE.has(tensor.datatype) || tensor.data instanceof BytesTensorData) {
    throw invalidArgument(
      `output '${tensor.name}': parameter 'classification' needs a numeric output; it is ${tensor.datatype}`,
    );
  }
  const values = tensor.data;
  const batched = maxBatchSize > 0 && tensor.shape.length > 0;
  const rows = batched ? tensor.shape[0] : 1;
  const perRow = elementCount(batched ? tensor.shape.slice(1) : tensor.shape);
  // As Triton: asking for more classes than a row holds returns the whole row, ranked.
  const kept = Math.min(count, perRow);
  const encoder = new TextEncoder();
  const strings: Uint8Array[] = [];
  for (let row = 0; row < rows; row += 1) {
    const top = yield* topIndices(values, row * perRow, perRow, kept);
    for (const index of top) {
      const label = labels?.[index];
      const text = `${formatValue(values[row * perRow + index], tensor.datatype)}:${index}`;
      strings.push(encoder.encode(label ? `${text}:${label}` : text));
    }
    yield;
  }
  return {
    name: tensor.name,
    datatype: 'BYTES',
    shape: batched ? [rows, kept] : [kept],
    data: BytesTensorData.of(strings),
  };
}

/**
 * The labels of an output: the model's labels (metadata.labels, read from the first output that
 * names a label_filename) for outputs naming that same file; none for the others.
 */
function labelsFor(name: string, metadata: ModelMetadata): readonly string[] | undefined {
  if (!metadata.labels) return undefined;
  const outputs = metadata.config.output;
  const file = outputs.find((output) => output.name === name)?.labelFilename;
  const source = outputs.find((output) => output.labelFilename !== '')?.labelFilename;
  return file && file === source ? metadata.labels : undefined;
}

type Element = number | bigint;

/** Whether element a ranks before element b: higher value, then lower index; NaN after numbers. */
function before(va: Element, ia: number, vb: Element, ib: number): boolean {
  if (va > vb) return true;
  if (va < vb) return false;
  if (va === vb) return ia < ib;
  const aNaN = va !== va;
  const bNaN = vb !== vb;
  return aNaN === bNaN ? ia < ib : bNaN;
}

/**
 * The `count` best indices (within the row) of values[offset, offset + length), best first: a
 * bounded min-heap over one pass, O(length · log count), yielding every YIELD_EVERY elements.
 */
function* topIndices(
  values: NumericTensorData,
  offset: number,
  length: number,
  count: number,
): SlicedWork<number[]> {
  const heap = new Uint32Array(count); // heap[0]: the worst index kept so far
  let size = 0;
  const worse = (a: number, b: number): boolean =>
    before(values[offset + b], b, values[offset + a], a);
  const siftDown = (from: number): void => {
    let at = from;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let worst = at;
      if (left < size && worse(heap[left], heap[worst])) worst = left;
      if (right < size && worse(heap[right], heap[worst])) worst = right;
      if (worst === at) return;
      [heap[at], heap[worst]] = [heap[worst], heap[at]];
      at = worst;
    }
  };
  for (let index = 0; index < length; index += 1) {
    if (size < count) {
      heap[size] = index;
      let at = size;
      size += 1;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (!worse(heap[at], heap[parent])) break;
        [heap[at], heap[parent]] = [heap[parent], heap[at]];
        at = parent;
      }
    } else if (worse(heap[0], index)) {
      heap[0] = index;
      siftDown(0);
    }
    if (index % YIELD_EVERY === YIELD_EVERY - 1) yield;
  }
  const best: number[] = new Array<number>(size);
  for (let slot = size - 1; slot >= 0; slot -= 1) {
    best[slot] = heap[0];
    size -= 1;
    heap[0] = heap[size];
    siftDown(0);
    if (slot % YIELD_EVERY === 0) yield;
  }
  return best;
}

/**
 * A value as Triton writes it (C++ std::to_string): integers in full, floating point as printf's
 * `%f` (six decimals, ties to even on the exact binary value), `inf`, `-inf`, `nan`.
 */
export function formatValue(value: Element, datatype: KServeDatatype): string {
  if (typeof value === 'bigint' || (datatype !== 'FP32' && datatype !== 'FP64')) {
    return String(value);
  }
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const magnitude = Math.abs(value);
  // Past 2^53 every double is an integer; toFixed would switch to exponent form from 1e21.
  if (magnitude >= 2 ** 53) return `${sign}${BigInt(magnitude)}.000000`;
  let fixed = magnitude.toFixed(6);
  // toFixed rounds an exact tie up, printf to even: a tie has at most 7 decimals, so 30 show it.
  const exact = magnitude.toFixed(30);
  if (/^\d+\.\d{6}50*$/.test(exact) && /[13579]$/.test(fixed)) {
    fixed = (magnitude - 5e-7).toFixed(6);
  }
  return `${sign}${fixed}`;
}
