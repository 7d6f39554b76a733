import { create, toBinary, toJsonString, type MessageInitShape } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { KSERVE_DATATYPES } from '@contracts/kserve/datatype';
import {
  type InferParameterSchema,
  type ModelInferRequest_InferInputTensorSchema,
  type ModelInferRequest_InferRequestedOutputTensorSchema,
  ModelInferRequestSchema,
  type ModelInferRequest,
} from '@contracts/generated/inference/grpc_service_pb';
import { DetectRequestSchema, type DetectRequest } from '@contracts/generated/vision/v1/vision_pb';
import { NANODET_INPUT_SIZE, NANODET_OUTPUTS } from '../nanodet-reference';
import { describeBytes, printable } from './fuzz-settings';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const int64 = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(1n, 3n, 416n, 8n, 9n, 0n, -1n) },
  fc.constantFrom(2n ** 31n - 1n, 2n ** 31n, 2n ** 53n, INT64_MAX, INT64_MIN),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
);
const uint64 = fc.bigInt({ min: 0n, max: UINT64_MAX });

const parameter = fc
  .oneof(
    fc.record({ case: fc.constant('boolParam' as const), value: fc.boolean() }),
    fc.record({ case: fc.constant('int64Param' as const), value: int64 }),
    fc.record({ case: fc.constant('stringParam' as const), value: fc.string({ maxLength: 12 }) }),
    fc.record({ case: fc.constant('doubleParam' as const), value: fc.double() }),
    fc.record({ case: fc.constant('uint64Param' as const), value: uint64 }),
    fc.constant({ case: undefined }),
  )
  .map((parameterChoice) => ({ parameterChoice }));

const parameters = fc.dictionary(
  fc.oneof(
    fc.constantFrom('binary_data_output', 'binary_data_size', 'priority', 'timeout', 'sequence_id'),
    fc.string({ maxLength: 10 }),
  ),
  parameter,
  { maxKeys: 3 },
);

const contents = fc.record(
  {
    boolContents: fc.array(fc.boolean(), { maxLength: 8 }),
    intContents: fc.array(fc.integer(), { maxLength: 8 }),
    int64Contents: fc.array(int64, { maxLength: 8 }),
    uintContents: fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 8 }),
    uint64Contents: fc.array(uint64, { maxLength: 8 }),
    fp32Contents: fc.array(fc.float(), { maxLength: 8 }),
    fp64Contents: fc.array(fc.double(), { maxLength: 8 }),
    bytesContents: fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 4 }),
  },
  { requiredKeys: [] },
);

const tensorName = fc.oneof(
  { weight: 3, arbitrary: fc.constant('images') },
  fc.constantFrom(...NANODET_OUTPUTS, ''),
  fc.string({ maxLength: 10 }),
);

const input = fc.record(
  {
    name: tensorName,
    datatype: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...Object.keys(KSERVE_DATATYPES)) },
      fc.string({ maxLength: 6 }),
    ),
    shape: fc.oneof(
      { weight: 2, arbitrary: fc.constant<bigint[]>([1n, 3n, 416n, 416n]) },
      fc.array(int64, { maxLength: 6 }),
    ),
    contents,
    parameters,
  },
  { requiredKeys: ['name', 'datatype', 'shape'] },
);

/** The one input nanodet takes, in raw bytes: lets near-valid requests get past the size checks. */
const FULL_INPUT = new Uint8Array(NANODET_INPUT_SIZE * 4);

const rawContents = fc.oneof(
  fc.constant<Uint8Array[]>([]),
  fc.constant<Uint8Array[]>([FULL_INPUT]),
  fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 3 }),
  fc.integer({ min: -16, max: 16 }).map((delta) => [new Uint8Array(FULL_INPUT.byteLength + delta)]),
);

/** Mostly `valid`, sometimes one of `wrong`: most messages are wrong in one or two places only. */
function mostly<T>(valid: fc.Arbitrary<T>, ...wrong: fc.Arbitrary<T>[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 10 * wrong.length, arbitrary: valid }, ...wrong);
}

type InputInit = MessageInitShape<typeof ModelInferRequest_InferInputTensorSchema>;
type OutputInit = MessageInitShape<typeof ModelInferRequest_InferRequestedOutputTensorSchema>;
type ParametersInit = Record<string, MessageInitShape<typeof InferParameterSchema>>;

/** nanodet's input, right in itself (raw bytes of [batch,3,416,416] FP32), batch 1 to 9. */
const consistentInput = fc
  .oneof({ weight: 8, arbitrary: fc.constant(1) }, fc.integer({ min: 2, max: 9 }))
  .map((batch) => ({
    batch,
    raw: batch === 1 ? FULL_INPUT : new Uint8Array(FULL_INPUT.byteLength * batch),
  }));

/**
 * Structurally valid ModelInferRequest messages: a request nanodet would take (raw or typed
 * contents, batches past max_batch_size included) with a field or two wrong, or wrong throughout.
 */
export const modelInferRequest: fc.Arbitrary<ModelInferRequest> = consistentInput
  .chain(({ batch, raw }) =>
    fc.record(
      {
        modelName: mostly(fc.constant('nanodet'), fc.string({ maxLength: 10 })),
        modelVersion: mostly(
          fc.constantFrom('', '1'),
          fc.constantFrom('2', '-1', ' 1'),
          fc.string({ maxLength: 4 }),
        ),
        id: fc.string({ maxLength: 8 }),
        parameters: mostly<ParametersInit>(fc.constant({}), parameters),
        inputs: mostly<InputInit[]>(
          fc
            .record({
              name: mostly(fc.constant('images'), tensorName),
              datatype: mostly(
                fc.constant('FP32'),
                fc.constantFrom(...Object.keys(KSERVE_DATATYPES)),
              ),
              shape: mostly<bigint[]>(
                fc.constant([BigInt(batch), 3n, 416n, 416n]),
                fc.array(int64, { maxLength: 6 }),
              ),
              parameters: mostly<ParametersInit>(fc.constant({}), parameters),
            })
            .map((tensor) => [tensor]),
          fc.array(input, { maxLength: 3 }),
        ),
        outputs: mostly<OutputInit[]>(
          fc.array(fc.record({ name: fc.constantFrom<string>(...NANODET_OUTPUTS) }), {
            maxLength: 6,
          }),
          fc.array(fc.record({ name: tensorName, parameters }), { maxLength: 4 }),
        ),
        rawInputContents: mostly(fc.constant<Uint8Array[]>([raw]), rawContents),
      },
      { requiredKeys: ['inputs', 'rawInputContents'] },
    ),
  )
  .map((init) => {
    const message = create(ModelInferRequestSchema, init);
    const raw = message.rawInputContents.map((bytes) => bytes.byteLength);
    const shown = create(ModelInferRequestSchema, { ...message, rawInputContents: [] });
    return printable(
      message,
      `${toJsonString(ModelInferRequestSchema, shown)} raw=[${raw.join(',')}]`,
    );
  });

const option = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** Structurally valid DetectRequest messages: odd options, models, versions, given images. */
export const detectRequest = (images: fc.Arbitrary<Buffer>): fc.Arbitrary<DetectRequest> =>
  fc
    .record({
      model: fc.oneof(
        { weight: 4, arbitrary: fc.constant('nanodet') },
        fc.string({ maxLength: 10 }),
      ),
      version: fc.oneof(fc.constantFrom('', '1', '7'), fc.string({ maxLength: 4 })),
      image: images,
      options: option(
        fc.record({
          scoreThreshold: option(fc.float()),
          iouThreshold: option(fc.float()),
          maxDetections: option(fc.integer({ min: 0, max: 2 ** 32 - 1 })),
          classes: fc.array(
            fc.oneof(fc.constantFrom('person', 'car', 'Person', ''), fc.string({ maxLength: 8 })),
            { maxLength: 3 },
          ),
        }),
      ),
    })
    .map((init) => {
      const message = create(DetectRequestSchema, init);
      const shown = toJsonString(DetectRequestSchema, { ...message, image: new Uint8Array(0) });
      return printable(message, `${shown} image=${describeBytes(message.image, 24)}`);
    });

/**
 * Bytes that claim to be a request: random, or a valid encoding cut short, with bytes flipped or
 * garbage appended (so the protobuf decoder meets wrong wire types, lengths and varints).
 */
export const messageBytes = (valid: readonly Uint8Array[]): fc.Arbitrary<Buffer> =>
  fc
    .oneof(
      fc
        .uint8Array({ maxLength: 256 })
        .map((bytes) => ({ bytes: Buffer.from(bytes), how: 'random' })),
      fc
        .tuple(fc.constantFrom(...valid), fc.double({ min: 0, max: 1, noNaN: true }))
        .map(([bytes, cut]) => ({
          bytes: Buffer.from(bytes.subarray(0, Math.floor(cut * bytes.byteLength))),
          how: `valid message cut at ${Math.floor(cut * bytes.byteLength)}`,
        })),
      fc
        .tuple(
          fc.constantFrom(...valid),
          fc.array(
            fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 255 })),
            {
              minLength: 1,
              maxLength: 8,
            },
          ),
        )
        .map(([bytes, flips]) => {
          const copy = Buffer.from(bytes);
          for (const [at, mask] of flips) copy[Math.floor(at * (copy.byteLength - 1))] ^= mask;
          return { bytes: copy, how: 'valid message with bytes flipped' };
        }),
      fc
        .tuple(fc.constantFrom(...valid), fc.uint8Array({ minLength: 1, maxLength: 32 }))
        .map(([bytes, tail]) => ({
          bytes: Buffer.concat([bytes, tail]),
          how: 'valid message with garbage appended',
        })),
    )
    .map(({ bytes, how }) => printable(bytes, `${how}: ${describeBytes(bytes, 64)}`));

/** Valid encodings to damage: a small infer request and a detect request. */
export function validEncodings(image: Uint8Array): Uint8Array[] {
  return [
    toBinary(
      ModelInferRequestSchema,
      create(ModelInferRequestSchema, {
        modelName: 'nanodet',
        inputs: [
          {
            name: 'images',
            datatype: 'FP32',
            shape: [1n, 3n, 2n, 2n],
            contents: { fp32Contents: [0, 1, 2, 3] },
          },
        ],
        outputs: [{ name: 'cls_s32' }],
        parameters: { priority: { parameterChoice: { case: 'int64Param', value: 1n } } },
      }),
    ),
    toBinary(
      DetectRequestSchema,
      create(DetectRequestSchema, {
        model: 'nanodet',
        image: image.subarray(0, 512),
        options: { scoreThreshold: 0.5, classes: ['person'] },
      }),
    ),
  ];
}
