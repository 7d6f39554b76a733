import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  InferTensorContentsSchema,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  ModelMetadataResponseSchema,
} from '@contracts/generated/inference/grpc_service_pb';
import { ModelConfigSchema } from '@contracts/generated/inference/model_config_pb';
import { readModelInferRequestHeader } from '@contracts/grpc/model-infer-request-header';
import {
  inferRequestToProto,
  inferResponseFromProto,
  inferResponseToProto,
} from '../../kserve-wire/grpc-tensor-codec';
import { decodeInferRequest } from '../../kserve-wire/infer-request-decoder';
import type {
  InferRequest,
  InferResponse,
  ModelMetadata,
} from '../../request-path/inference-backend';
import { BytesTensorData } from '../tensor';
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
    expect(decoded).toEqual(request);
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
    expect(inferResponseFromProto(fromBinary(ModelInferResponseSchema, wire))).toEqual(response);

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
