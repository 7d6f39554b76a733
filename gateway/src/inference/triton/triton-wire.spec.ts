import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  InferTensorContentsSchema,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  ModelMetadataResponseSchema,
  GRPCInferenceService,
  InferParameterSchema,
  ModelInferRequest_InferInputTensorSchema,
  type ModelInferRequest,
  type ModelInferResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import { ModelConfigSchema } from '@contracts/generated/inference/model_config_pb';
import { readModelInferRequestHeader } from '@contracts/grpc/model-infer-request-header';
import {
  inferAnswerToGrpc,
  inferRequestForTriton,
  inferRequestToProto,
  inferResponseFromProto,
  inferResponseToProto,
} from '../../kserve-wire/grpc-tensor-codec';
import { clientDefinition } from '@contracts/grpc/service-definition';
import { EncodedMessage } from '@contracts/grpc/encoded-message';
import { decodeInferRequest } from '../../kserve-wire/infer-request-decoder';
import type {
  InferRequest,
  InferResponse,
  ModelMetadata,
} from '../../request-path/inference-backend';
import { BytesTensorData, rawBytesOf, type InferTensor } from '../tensor';
import { fromTritonError } from './triton-errors';
import { toModelMetadata } from './triton-metadata';

const bytes = (text: string) => new TextEncoder().encode(text);

/** A model whose signature is exactly that of `request`. */
const modelOf = (request: InferRequest): ModelMetadata => ({
  name: request.model,
  versions: [request.version],
  platform: 'test',
  inputs: request.inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
  outputs: request.outputs.map((name) => ({ name, datatype: 'FP32', shape: [1] })),
  maxBatchSize: 0,
  parameters: {},
  config: create(ModelConfigSchema),
});

/** A tensor's elements and description, without the raw bytes it may keep. */
function elementsOf({ name, datatype, shape, data }: InferTensor): InferTensor {
  return { name, datatype, shape, data };
}

describe('talking to Triton: codec, metadata and errors', () => {
  it('a request survives gateway → ModelInferRequest bytes → gateway bit for bit', async () => {
    const request: InferRequest = {
      model: 'nanodet',
      version: '1',
      id: 'r-1',
      inputs: [
        {
          name: 'images',
          datatype: 'FP32',
          shape: [1, 2, 2],
          data: Float32Array.of(0.1, -0, NaN, 3e38),
        },
        { name: 'ids', datatype: 'INT64', shape: [2], data: BigInt64Array.of(-1n, 2n ** 62n) },
        {
          name: 'text',
          datatype: 'BYTES',
          shape: [2],
          data: BytesTensorData.of([bytes('a'), bytes('')]),
        },
        { name: 'half', datatype: 'FP16', shape: [1], data: Uint16Array.of(0x3c00) },
      ],
      outputs: ['cls_s8'],
    };
    const message = inferRequestToProto(request);
    expect(message.rawInputContents).toHaveLength(4);
    expect(message.outputs.map((output) => output.name)).toEqual(['cls_s8']);
    // As the gateway's own gRPC front door reads it (Triton-compatible on both sides).
    const decoded = await decodeInferRequest(
      readModelInferRequestHeader(toBinary(ModelInferRequestSchema, message)),
      modelOf(request),
    );
    const { encoded, ...decodedRequest } = decoded;
    expect({ ...decodedRequest, inputs: decoded.inputs.map(elementsOf) }).toEqual(request);
    // The bytes it came as, kept to be sent on as they are.
    expect(encoded?.of.inputs).toBe(decoded.inputs);
    // Each input keeps the bytes it came as (forwarded as they are) and they are the elements'.
    expect(decoded.inputs.every((input) => input.raw !== undefined)).toBe(true);
    expect(decoded.inputs.map((input) => Buffer.from(rawBytesOf(input)))).toEqual(
      request.inputs.map((input) => Buffer.from(rawBytesOf(input))),
    );
    expect(new Uint8Array((decoded.inputs[0].data as Float32Array).buffer, 4, 4)).toEqual(
      new Uint8Array(Float32Array.of(-0).buffer),
    );
  });

  it('a response survives gateway → ModelInferResponse bytes → gateway, raw or typed', () => {
    const response: InferResponse = {
      model: 'nanodet',
      version: '1',
      id: 'r-1',
      outputs: [
        { name: 'cls_s8', datatype: 'FP32', shape: [1, 3], data: Float32Array.of(1, 2.5, -7) },
        {
          name: 'label',
          datatype: 'BYTES',
          shape: [1],
          data: BytesTensorData.of([bytes('person')]),
        },
      ],
    };
    const wire = toBinary(ModelInferResponseSchema, inferResponseToProto(response, 1024 * 1024));
    const back = inferResponseFromProto(fromBinary(ModelInferResponseSchema, wire));
    expect({ ...back, outputs: back.outputs.map(elementsOf) }).toEqual(response);

    const typed = create(ModelInferResponseSchema, {
      modelName: 'm',
      modelVersion: '2',
      outputs: [
        {
          name: 'y',
          datatype: 'INT32',
          shape: [2n],
          contents: create(InferTensorContentsSchema, { intContents: [4, -5] }),
        },
      ],
    });
    expect(inferResponseFromProto(typed)).toEqual({
      model: 'm',
      version: '2',
      id: undefined,
      outputs: [{ name: 'y', datatype: 'INT32', shape: [2], data: Int32Array.of(4, -5) }],
    });
  });

  it("sends a caller's request on as its own bytes while it is unchanged and names the version", async () => {
    const wire = toBinary(
      ModelInferRequestSchema,
      create(ModelInferRequestSchema, {
        modelName: 'nanodet',
        modelVersion: '1',
        inputs: [{ name: 'images', datatype: 'FP32', shape: [1n, 2n] }],
        outputs: [{ name: 'cls_s8' }],
        rawInputContents: [new Uint8Array(Float32Array.of(0.5, -1).buffer)],
      }),
    );
    const model: ModelMetadata = {
      ...modelOf({ model: 'nanodet', version: '1', inputs: [], outputs: [] }),
      inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 2] }],
      outputs: [{ name: 'cls_s8', datatype: 'FP32', shape: [1] }],
    };
    const request = await decodeInferRequest(readModelInferRequestHeader(wire), model);
    const sent = inferRequestForTriton(request, '1');
    expect(sent).toBeInstanceOf(EncodedMessage);
    expect((sent as EncodedMessage).bytes).toBe(wire);

    // Another version, other inputs: encoded anew, with what changed.
    const other = inferRequestForTriton(request, '2') as ModelInferRequest;
    expect(other).not.toBeInstanceOf(EncodedMessage);
    expect(other.modelVersion).toBe('2');
    const changed = inferRequestForTriton({ ...request, inputs: [...request.inputs] }, '1');
    expect(changed).not.toBeInstanceOf(EncodedMessage);
    expect(fromBinary(ModelInferRequestSchema, wire)).toEqual(changed);

    // Typed contents (no raw bytes to forward) are always encoded anew.
    const typed = await decodeInferRequest(
      readModelInferRequestHeader(
        toBinary(ModelInferRequestSchema, {
          ...fromBinary(ModelInferRequestSchema, wire),
          rawInputContents: [],
          inputs: [
            create(ModelInferRequest_InferInputTensorSchema, {
              name: 'images',
              datatype: 'FP32',
              shape: [1n, 2n],
              contents: create(InferTensorContentsSchema, { fp32Contents: [0.5, -1] }),
            }),
          ],
        }),
      ),
      model,
    );
    expect(typed.encoded).toBeUndefined();
  });

  it("answers with Triton's own bytes while the response is what they say, else encodes anew", () => {
    const wire = Buffer.from(
      toBinary(
        ModelInferResponseSchema,
        create(ModelInferResponseSchema, {
          modelName: 'nanodet',
          modelVersion: '1',
          id: 'r-1',
          outputs: [
            { name: 'cls_s8', datatype: 'FP32', shape: [1n, 3n] },
            { name: 'reg_s8', datatype: 'FP32', shape: [1n, 1n] },
          ],
          rawOutputContents: [
            new Uint8Array(Float32Array.of(1, 2, 3).buffer),
            new Uint8Array(Float32Array.of(4).buffer),
          ],
        }),
      ),
    );
    // As the Triton client receives it (the client definition keeps the bytes it decoded).
    const receive = (bytes: Buffer): ModelInferResponse =>
      clientDefinition(GRPCInferenceService).modelInfer.responseDeserialize(
        bytes,
      ) as ModelInferResponse;
    const response = inferResponseFromProto(receive(wire));
    const answer = inferAnswerToGrpc(response, 1 << 20);
    expect(answer).toBeInstanceOf(EncodedMessage);
    expect((answer as EncodedMessage).bytes).toBe(wire);
    expect(() => inferAnswerToGrpc(response, wire.byteLength - 1)).toThrow(
      `the answer would take ${wire.byteLength} bytes, over the GATEWAY_MAX_BODY_BYTES limit`,
    );

    // Anything the gateway changed is encoded anew, with the change.
    const fewer = inferAnswerToGrpc(
      { ...response, outputs: response.outputs.slice(0, 1) },
      1 << 20,
    );
    expect(fewer).not.toBeInstanceOf(EncodedMessage);
    expect((fewer as ModelInferResponse).outputs.map((output) => output.name)).toEqual(['cls_s8']);
    const relabelled = inferAnswerToGrpc({ ...response, version: '2', id: undefined }, 1 << 20);
    expect(relabelled).not.toBeInstanceOf(EncodedMessage);
    expect((relabelled as ModelInferResponse).modelVersion).toBe('2');

    // A message with parameters would answer them too: never passed through.
    const withParameters = Buffer.from(
      toBinary(
        ModelInferResponseSchema,
        create(ModelInferResponseSchema, {
          modelName: 'nanodet',
          outputs: [{ name: 'cls_s8', datatype: 'FP32', shape: [1n] }],
          rawOutputContents: [new Uint8Array(4)],
          parameters: {
            sequence_id: create(InferParameterSchema, {
              parameterChoice: { case: 'int64Param', value: 7n },
            }),
          },
        }),
      ),
    );
    const parameterised = inferResponseFromProto(receive(withParameters));
    expect(parameterised.encoded).toBeUndefined();
    expect(inferAnswerToGrpc(parameterised, 1 << 20)).not.toBeInstanceOf(EncodedMessage);
  });

  it('an inconsistent response is refused naming the output', () => {
    const shortRaw = create(ModelInferResponseSchema, {
      outputs: [{ name: 'cls_s8', datatype: 'FP32', shape: [1n, 3n] }],
      rawOutputContents: [new Uint8Array(8)],
    });
    expect(() => inferResponseFromProto(shortRaw)).toThrow(
      "output 'cls_s8': expected 12 bytes of FP32 data for shape [1,3], got 8",
    );
    const unknownType = create(ModelInferResponseSchema, {
      outputs: [{ name: 'x', datatype: 'FP8', shape: [1n] }],
      rawOutputContents: [new Uint8Array(1)],
    });
    expect(() => inferResponseFromProto(unknownType)).toThrow("output 'x': unknown datatype 'FP8'");
  });

  it('builds the embedded backend’s ModelMetadata from ModelMetadata + ModelConfig', () => {
    const config = create(ModelConfigSchema, {
      name: 'nanodet',
      platform: 'onnxruntime_onnx',
      maxBatchSize: 8,
      parameters: { 'vision.decoder': { stringValue: 'nanodet-gfl' } },
    });
    const metadata = toModelMetadata(
      create(ModelMetadataResponseSchema, {
        name: 'nanodet',
        versions: ['10', '2', '1'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'images', datatype: 'FP32', shape: [-1n, 3n, 416n, 416n] }],
        outputs: [{ name: 'cls_s8', datatype: 'FP32', shape: [-1n, 2704n, 80n] }],
      }),
      config,
      ['person'],
    );
    expect(metadata).toEqual({
      name: 'nanodet',
      versions: ['1', '2', '10'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'images', datatype: 'FP32', shape: [-1, 3, 416, 416] }],
      outputs: [{ name: 'cls_s8', datatype: 'FP32', shape: [-1, 2704, 80] }],
      maxBatchSize: 8,
      labels: ['person'],
      parameters: { 'vision.decoder': 'nanodet-gfl' },
      config,
    });
  });

  it.each([
    [
      status.UNAVAILABLE,
      'Connection dropped',
      'unavailable',
      'Triton endpoint t:8001 unavailable: Connection dropped',
    ],
    [
      status.DEADLINE_EXCEEDED,
      'Deadline exceeded',
      'deadline_exceeded',
      'Triton endpoint t:8001 did not answer within 1500 ms',
    ],
    [
      status.INVALID_ARGUMENT,
      "unexpected inference input 'x'",
      'invalid_argument',
      "unexpected inference input 'x'",
    ],
    [
      status.NOT_FOUND,
      "Request for unknown model: 'y' is not found",
      'not_found',
      "Request for unknown model: 'y' is not found",
    ],
    [status.INTERNAL, 'boom', 'internal', 'Triton endpoint t:8001 failed (INTERNAL): boom'],
  ])('maps gRPC status %s to %s', (code, details, kind, message) => {
    const error: ServiceError = Object.assign(new Error(details), {
      code,
      details,
      metadata: new Metadata(),
    });
    expect(fromTritonError(error, 't:8001', 1500)).toMatchObject({ kind, message });
  });
});
