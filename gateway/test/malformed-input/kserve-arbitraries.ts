import fc from 'fast-check';
import { KSERVE_DATATYPES } from '@contracts/kserve/datatype';
import { NANODET_INPUT_SIZE, NANODET_OUTPUTS } from '../nanodet-reference';
import { describeBytes, printable } from './fuzz-settings';

/** A request the gateway must answer: the body plus the headers that steer how it is read. */
export interface InferBody {
  body: Buffer;
  headers: Record<string, string>;
}

function inferBody(body: Buffer, headers: Record<string, string>, what: string): InferBody {
  return printable(
    { body, headers },
    `${what}, headers ${JSON.stringify(headers)}: ${describeBytes(body, 400)}`,
  );
}

const DATATYPES = Object.keys(KSERVE_DATATYPES);
const INT32_MAX = 2 ** 31 - 1;

/** Dimensions around the edges: valid, negative, 2^31 - 1 and beyond, fractions, wrong types. */
export const dimension: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(1, 3, 416, 8, 9, 0) },
  fc.integer({ min: -3, max: 20 }),
  fc.constantFrom(-1, INT32_MAX, INT32_MAX + 1, 2 ** 53, 1e300, 0.5),
  fc.double(),
  fc.string({ maxLength: 4 }),
  fc.constant(null),
);

const shape: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constant([1, 3, 416, 416]) },
  fc.array(dimension, { maxLength: 6 }),
  fc.array(fc.constant(INT32_MAX), { minLength: 1, maxLength: 40 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const datatype: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...DATATYPES) },
  fc.constantFrom('fp32', 'TYPE_FP32', 'FP8', '', ' FP32'),
  fc.string({ maxLength: 8 }),
  fc.integer(),
);

const element = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.string({ maxLength: 6 }),
  fc.constant(null),
);

const data: fc.Arbitrary<unknown> = fc.oneof(
  fc.array(element, { maxLength: 24 }),
  fc.array(fc.array(element, { maxLength: 4 }), { maxLength: 4 }),
  element,
  fc.jsonValue({ maxDepth: 3 }),
);

const parameters: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ binary_data_size: dimension }),
  fc.record({ binary_data: fc.jsonValue({ maxDepth: 1 }) }),
  fc.record({ binary_data_output: fc.jsonValue({ maxDepth: 1 }) }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 1 }),
);

const tensorName: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('images') },
  fc.constantFrom(...NANODET_OUTPUTS, '', 'IMAGES', 'images\u0000'),
  fc.string({ maxLength: 12 }),
  fc.integer(),
);

/** A tensor in which any field may be wrong. */
const input = fc.record(
  { name: tensorName, datatype, shape, data, parameters },
  { requiredKeys: ['name', 'datatype', 'shape'] },
);

const output = fc.record(
  {
    name: fc.oneof(fc.constantFrom(...NANODET_OUTPUTS), fc.string({ maxLength: 8 })),
    parameters,
  },
  { requiredKeys: [] },
);

/**
 * Mostly `valid`, sometimes one of the `wrong` values: most bodies are then wrong in one or two
 * places only, so they get past the parser to the checks behind it (and some reach the model).
 */
function mostly(
  valid: fc.Arbitrary<unknown>,
  ...wrong: fc.Arbitrary<unknown>[]
): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 10 * wrong.length, arbitrary: valid }, ...wrong);
}

/** A JSON element that is right for `type`. */
function validElement(type: string): fc.Arbitrary<unknown> {
  if (type === 'BOOL') return fc.boolean();
  if (type === 'BYTES') return fc.string({ maxLength: 6 });
  if (type.startsWith('FP') || type === 'BF16')
    return fc.double({ noNaN: true, noDefaultInfinity: true });
  return fc.integer({ min: type.startsWith('U') ? 0 : -128, max: 127 });
}

/** Row-major `flat` nested into arrays along `shape` (as clients send "nested" KServe data). */
function nest(flat: unknown[], shape: number[]): unknown {
  if (shape.length <= 1) return flat;
  const inner = flat.length / Math.max(1, shape[0]);
  return Array.from({ length: shape[0] }, (_, i) =>
    nest(flat.slice(i * inner, (i + 1) * inner), shape.slice(1)),
  );
}

const FULL_SHAPE = [1, 3, 416, 416];
/** Every element of nanodet's input as JSON numbers: the model itself runs on these. */
const FULL_DATA: number[] = new Array<number>(NANODET_INPUT_SIZE).fill(0.5);

/** A tensor that is right in itself (shape, datatype and data agree), the model's or a small one. */
const consistentTensor = fc
  .record({
    type: fc.oneof({ weight: 6, arbitrary: fc.constant('FP32') }, fc.constantFrom(...DATATYPES)),
    shape: fc.oneof(
      { weight: 6, arbitrary: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }) },
      fc.constant(FULL_SHAPE),
    ),
  })
  .chain(({ type, shape }) => {
    const count = shape.reduce((product, dim) => product * dim, 1);
    const flat =
      count === NANODET_INPUT_SIZE && type === 'FP32'
        ? fc.constant<unknown[]>(FULL_DATA)
        : fc.array(validElement(type), {
            minLength: Math.min(count, 64),
            maxLength: Math.min(count, 64),
          });
    return flat.chain((values) =>
      fc.record({
        type: fc.constant(type),
        shape: fc.constant(shape),
        data: fc.oneof(
          { weight: 4, arbitrary: fc.constant<unknown>(values) },
          fc.constant(nest(values, shape)),
          fc.constant([...values, 0]),
          fc.constant(values.slice(1)),
          element.map((wrong) => [wrong, ...values.slice(1)]),
        ),
      }),
    );
  });

const nearValidInput = consistentTensor.chain((tensor) =>
  fc.record(
    {
      name: mostly(fc.constant('images'), tensorName),
      datatype: mostly(fc.constant(tensor.type), datatype),
      shape: mostly(fc.constant(tensor.shape), shape),
      data: mostly(fc.constant(tensor.data), data),
      parameters: mostly(fc.constant(undefined), parameters),
    },
    { requiredKeys: ['name', 'datatype', 'shape', 'data'] },
  ),
);

/**
 * KServe JSON infer bodies that are almost right: consistent tensors (nanodet's input or small
 * ones), with a field or two mistyped, out of range or missing, extra inputs, odd outputs.
 */
export const nearValidJson: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    id: mostly(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })),
    inputs: mostly(
      fc.array(nearValidInput, { minLength: 1, maxLength: 2 }),
      fc.array(input, { maxLength: 3 }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    outputs: mostly(
      fc.array(
        fc.record(
          {
            name: fc.constantFrom(...NANODET_OUTPUTS),
            parameters: mostly(fc.record({ binary_data: fc.boolean() }), parameters),
          },
          { requiredKeys: ['name'] },
        ),
        { maxLength: 7 },
      ),
      fc.array(output, { maxLength: 7 }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    parameters: mostly(fc.record({ binary_data_output: fc.boolean() }), parameters),
  },
  { requiredKeys: ['inputs'] },
);

export const jsonBody = (value: unknown): InferBody =>
  inferBody(
    Buffer.from(JSON.stringify(value) ?? ''),
    { 'content-type': 'application/json' },
    'JSON',
  );

/**
 * JSON nested far deeper than any tensor: `depth` brackets around `data`, or objects inside
 * `parameters`. The parser accepts it; everything after must not recurse on it.
 */
export const deeplyNested: fc.Arbitrary<InferBody> = fc
  .tuple(
    fc.integer({ min: 1_000, max: 200_000 }),
    fc.constantFrom('data', 'element', 'parameters', 'id'),
  )
  .map(([depth, where]) => {
    const nested =
      where === 'parameters'
        ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
        : `${'['.repeat(depth)}0${']'.repeat(depth)}`;
    const deepObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const tensor =
      where === 'data'
        ? `"data":${nested}`
        : where === 'element'
          ? `"data":[${deepObject}]`
          : '"data":[0]';
    const text =
      `{"inputs":[{"name":"images","datatype":"FP32","shape":[1],${tensor}}]` +
      (where === 'parameters' ? `,"parameters":${nested}` : '') +
      (where === 'id' ? `,"id":${nested}` : '') +
      '}';
    return inferBody(
      Buffer.from(text),
      { 'content-type': 'application/json' },
      `${where} nested ${depth} deep`,
    );
  });

/** Inference-Header-Content-Length values around the real one: off by some, signed, not numbers. */
const headerLength = (actual: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(String(actual)) },
    fc.integer({ min: -8, max: 8 }).map((delta) => String(actual + delta)),
    fc.constantFrom('', ' ', '-1', '0', '1e3', '0x10', 'NaN', 'Infinity', `${actual}.5`),
    fc.constantFrom(String(2 ** 53), String(2 ** 64), ` ${actual} `, `+${actual}`),
    fc.string({ maxLength: 6 }),
  );

/** Sizes of the binary part: what the header promises for nanodet, give or take, or anything. */
const binaryLength: fc.Arbitrary<number> = fc.oneof(
  fc.constant(NANODET_INPUT_SIZE * 4),
  fc.integer({ min: -64, max: 64 }).map((delta) => NANODET_INPUT_SIZE * 4 + delta),
  fc.integer({ min: 0, max: 4096 }),
);

/**
 * Binary tensor data extension bodies: a near-valid JSON header whose tensors declare
 * binary_data_size, followed by truncated, oversized or random binary parts.
 */
export const binaryBody: fc.Arbitrary<InferBody> = fc
  .record({
    datatype: fc.oneof(
      { weight: 3, arbitrary: fc.constant('FP32') },
      fc.constantFrom(...DATATYPES),
    ),
    shape: fc.oneof({ weight: 3, arbitrary: fc.constant([1, 3, 416, 416]) }, shape),
    declared: fc.oneof(binaryLength, dimension),
    sent: binaryLength,
    extraInputs: fc.array(input, { maxLength: 2 }),
    outputs: fc.option(fc.array(output, { maxLength: 3 }), { nil: undefined }),
    binaryOutputs: fc.option(fc.boolean(), { nil: undefined }),
    fill: fc.integer({ min: 0, max: 255 }),
  })
  .chain((spec) => {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          {
            name: 'images',
            datatype: spec.datatype,
            shape: spec.shape,
            parameters: { binary_data_size: spec.declared },
          },
          ...spec.extraInputs,
        ],
        outputs: spec.outputs,
        parameters:
          spec.binaryOutputs === undefined ? undefined : { binary_data_output: spec.binaryOutputs },
      }),
    );
    const binary = Buffer.alloc(Math.max(0, spec.sent), spec.fill);
    return headerLength(header.byteLength).map((length): InferBody =>
      inferBody(
        Buffer.concat([header, binary]),
        { 'content-type': 'application/octet-stream', 'inference-header-content-length': length },
        `JSON header of ${header.byteLength} bytes, then ${binary.byteLength} bytes of ${spec.fill}`,
      ),
    );
  });

/** How a body is damaged after compression: cut short, bytes flipped, garbage appended. */
const damage = fc.oneof(
  fc.record({ cut: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    flips: fc.array(
      fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 255 })),
      {
        minLength: 1,
        maxLength: 6,
      },
    ),
  }),
  fc.record({ tail: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ random: fc.uint8Array({ maxLength: 256 }) }),
);

/** Content-Encoding values: the supported ones in odd spellings, unsupported ones, lists. */
export const contentEncoding: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('gzip', 'x-gzip', 'deflate') },
  fc.constantFrom('GZIP', ' gzip ', 'br', 'zstd', 'compress', 'identity', 'gzip, deflate', '*'),
  fc.string({ maxLength: 10 }),
);

/** Small infer-like JSON values, cheap to compress on every run. */
const smallJson = fc.oneof(
  fc.record({ inputs: fc.array(input, { maxLength: 2 }) }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** gzip/deflate bodies that are corrupt: a real compressed infer body, then damaged. */
export const corruptCompressedBody = (
  compress: (encoding: string, body: Buffer) => Buffer,
): fc.Arbitrary<InferBody> =>
  fc.tuple(smallJson, contentEncoding, damage).map(([json, encoding, how]) => {
    let body = compress(encoding, Buffer.from(JSON.stringify(json)));
    if ('cut' in how) body = body.subarray(0, Math.floor(how.cut * body.byteLength));
    if ('flips' in how) {
      body = Buffer.from(body);
      for (const [at, mask] of how.flips) {
        const index = Math.min(body.byteLength - 1, Math.floor(at * body.byteLength));
        if (index >= 0) body[index] ^= mask;
      }
    }
    if ('tail' in how) body = Buffer.concat([body, how.tail]);
    if ('random' in how) body = Buffer.from(how.random);
    return inferBody(
      body,
      { 'content-type': 'application/json', 'content-encoding': encoding },
      `damaged ${encoding} body (${JSON.stringify(how, (_key, value: unknown) => (value instanceof Uint8Array ? `${value.byteLength} bytes` : value))})`,
    );
  });
