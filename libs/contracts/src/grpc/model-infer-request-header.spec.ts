import { create, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  GRPCInferenceService,
  InferTensorContentsSchema,
  ModelInferRequestSchema,
} from '../generated/inference/grpc_service_pb';
import { MAX_INFER_HEADER_BYTES, readModelInferRequestHeader } from './model-infer-request-header';
import { MalformedMessage, serverDefinition } from './service-definition';

describe('readModelInferRequestHeader', () => {
  it('reads what protobuf-es writes, leaving the elements as views into the message', () => {
    const contents = create(InferTensorContentsSchema, { fp32Contents: [1, 2, 3] });
    const bytes = toBinary(
      ModelInferRequestSchema,
      create(ModelInferRequestSchema, {
        modelName: 'nanodet',
        modelVersion: '1',
        id: 'r-1',
        parameters: { priority: { parameterChoice: { case: 'int64Param', value: 2n } } },
        inputs: [
          {
            name: 'images',
            datatype: 'FP32',
            shape: [1n, 3n],
            parameters: { x: { parameterChoice: { case: 'boolParam', value: true } } },
            contents,
          },
          { name: 'raw', datatype: 'UINT8', shape: [] },
        ],
        outputs: [{ name: 'cls_s8' }, { name: 'reg_s8' }],
        rawInputContents: [Uint8Array.of(9, 8, 7)],
      }),
    );
    const header = readModelInferRequestHeader(bytes);
    expect(header).toEqual({
      modelName: 'nanodet',
      modelVersion: '1',
      id: 'r-1',
      inputs: [
        {
          name: 'images',
          datatype: 'FP32',
          shape: [1n, 3n],
          contents: [toBinary(InferTensorContentsSchema, contents)],
        },
        { name: 'raw', datatype: 'UINT8', shape: [], contents: [] },
      ],
      outputs: [{ name: 'cls_s8' }, { name: 'reg_s8' }],
      rawInputContents: [Uint8Array.of(9, 8, 7)],
      message: bytes,
      // Its parameters are not in the header.
      onlyTensors: false,
    });
    expect(header.rawInputContents[0].buffer).toBe(bytes.buffer);
  });

  it('says whether the header is all the message says: any parameter or unknown field is more', () => {
    const plain = {
      modelName: 'nanodet',
      modelVersion: '1',
      id: 'r-1',
      inputs: [{ name: 'images', datatype: 'FP32', shape: [1n, 1n] }],
      outputs: [{ name: 'cls_s8' }],
      rawInputContents: [Uint8Array.of(0, 0, 128, 63)],
    };
    const onlyTensors = (init: Parameters<typeof create<typeof ModelInferRequestSchema>>[1]) =>
      readModelInferRequestHeader(
        toBinary(ModelInferRequestSchema, create(ModelInferRequestSchema, init)),
      ).onlyTensors;
    const flag = { parameterChoice: { case: 'boolParam' as const, value: true } };
    expect(onlyTensors(plain)).toBe(true);
    expect(onlyTensors({ ...plain, parameters: { priority: flag } })).toBe(false);
    expect(
      onlyTensors({ ...plain, inputs: [{ ...plain.inputs[0], parameters: { x: flag } }] }),
    ).toBe(false);
    expect(onlyTensors({ ...plain, outputs: [{ name: 'cls_s8', parameters: { x: flag } }] })).toBe(
      false,
    );
    // A field this reader does not know (number 99) would be lost if only the header were sent on.
    const unknown = new BinaryWriter().tag(99, WireType.Varint).uint32(1).finish();
    const withUnknown = Buffer.concat([
      toBinary(ModelInferRequestSchema, create(ModelInferRequestSchema, plain)),
      unknown,
    ]);
    expect(readModelInferRequestHeader(withUnknown).onlyTensors).toBe(false);
  });

  it("reads an output's parameters (the classification extension's class count)", () => {
    const classification = { parameterChoice: { case: 'int64Param' as const, value: 3n } };
    const bytes = toBinary(
      ModelInferRequestSchema,
      create(ModelInferRequestSchema, {
        modelName: 'nanodet',
        outputs: [{ name: 'cls_s32', parameters: { classification } }, { name: 'reg_s32' }],
      }),
    );
    const { outputs } = readModelInferRequestHeader(bytes);
    expect(outputs).toEqual([
      { name: 'cls_s32', parameters: { classification: expect.objectContaining(classification) } },
      { name: 'reg_s32' },
    ]);
  });

  it('reads unpacked shapes and repeated contents fields, as protobuf merges them', () => {
    const input = new BinaryWriter()
      .tag(1, WireType.LengthDelimited)
      .string('x')
      .tag(3, WireType.Varint)
      .int64(2)
      .tag(3, WireType.Varint)
      .int64(5)
      .tag(5, WireType.LengthDelimited)
      .bytes(Uint8Array.of(1))
      .tag(5, WireType.LengthDelimited)
      .bytes(Uint8Array.of(2))
      .finish();
    const bytes = new BinaryWriter().tag(5, WireType.LengthDelimited).bytes(input).finish();
    expect(readModelInferRequestHeader(bytes).inputs).toEqual([
      { name: 'x', datatype: '', shape: [2n, 5n], contents: [Uint8Array.of(1), Uint8Array.of(2)] },
    ]);
  });

  it('stops at the header limit, whatever the message size: 33 M empty outputs are not read', () => {
    const emptyOutput = [(6 << 3) | WireType.LengthDelimited, 0];
    const bytes = new Uint8Array(66_000_000);
    for (let offset = 0; offset < bytes.byteLength; offset += 2) bytes.set(emptyOutput, offset);
    const started = performance.now();
    expect(() => readModelInferRequestHeader(bytes)).toThrow(
      `its tensor headers (names, datatypes, shapes, parameters) are over the ${MAX_INFER_HEADER_BYTES}-byte limit`,
    );
    // Reading 64 KiB, not 66 MB: far below what walking the whole message costs.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('does not count tensor elements as header, however many there are', () => {
    const bytes = toBinary(
      ModelInferRequestSchema,
      create(ModelInferRequestSchema, {
        modelName: 'm',
        inputs: [{ name: 'x', datatype: 'UINT8', shape: [1_000_000n] }],
        rawInputContents: [new Uint8Array(1_000_000)],
      }),
    );
    expect(readModelInferRequestHeader(bytes).rawInputContents[0].byteLength).toBe(1_000_000);
  });

  it('refuses bytes that are not a ModelInferRequest', () => {
    expect(() => readModelInferRequestHeader(Uint8Array.of(0x0a, 0x05, 0x61))).toThrow();
    expect(() => readModelInferRequestHeader(Uint8Array.of(0x08, 0x01))).toThrow(
      'ModelInferRequest field 1 has wire type 0, not length-delimited',
    );
  });

  it('is what a gRPC server receives for ModelInfer and ModelStreamInfer; malformed bytes are a MalformedMessage', () => {
    const definition = serverDefinition(GRPCInferenceService);
    for (const method of ['modelInfer', 'modelStreamInfer']) {
      const decode = definition[method].requestDeserialize;
      expect(
        decode(
          Buffer.from(
            toBinary(ModelInferRequestSchema, create(ModelInferRequestSchema, { modelName: 'm' })),
          ),
        ),
      ).toMatchObject({ modelName: 'm', inputs: [] });
      expect(decode(Buffer.of(0xff))).toBeInstanceOf(MalformedMessage);
    }
  });
});
