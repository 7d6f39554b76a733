import { create } from '@bufbuild/protobuf';
import { status, type Client, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  InferTensorContentsSchema,
  ModelInferRequest_InferInputTensorSchema,
  ModelConfigRequestSchema,
  ModelInferRequestSchema,
  ModelMetadataRequestSchema,
  ModelReadyRequestSchema,
  ServerLiveRequestSchema,
  ServerMetadataRequestSchema,
  ServerReadyRequestSchema,
  type ModelConfigResponse,
  type ModelInferRequest,
  type ModelInferResponse,
  type ModelMetadataResponse,
  type ModelStreamInferResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import type { RunningGateway } from '../src/gateway-app';
import {
  NANODET_INPUT_SIZE,
  NANODET_OUTPUTS,
  nanodetReference,
  nanodetInferRequest,
  rawOutputsOf,
} from './nanodet-reference';
import { callUnary, grpcClient, seededFloats, startTestGateway } from './test-gateway';

const rawRequest = (input: Float32Array, batch: number, model = 'nanodet'): ModelInferRequest =>
  nanodetInferRequest(input, batch, { id: 'grpc-1', model });

describe('KServe v2 gRPC front door (embedded ONNX Runtime backend)', () => {
  let gateway: RunningGateway;
  let client: Client & Record<string, unknown>;

  beforeAll(async () => {
    gateway = await startTestGateway();
    client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
  });
  afterAll(async () => {
    client.close();
    await gateway.close();
  });

  it('answers ServerLive, ServerReady, ServerMetadata, ModelReady and ModelMetadata', async () => {
    expect(await callUnary(client, 'serverLive', create(ServerLiveRequestSchema))).toMatchObject({
      live: true,
    });
    expect(await callUnary(client, 'serverReady', create(ServerReadyRequestSchema))).toMatchObject({
      ready: true,
    });
    expect(
      await callUnary(client, 'serverMetadata', create(ServerMetadataRequestSchema)),
    ).toMatchObject({
      name: 'triton-cv-gateway',
      extensions: expect.arrayContaining(['binary_tensor_data']),
    });
    expect(
      await callUnary(
        client,
        'modelReady',
        create(ModelReadyRequestSchema, { name: 'nanodet', version: '1' }),
      ),
    ).toMatchObject({ ready: true });
    const metadata = await callUnary<ModelMetadataResponse>(
      client,
      'modelMetadata',
      create(ModelMetadataRequestSchema, { name: 'nanodet' }),
    );
    expect(metadata.versions).toEqual(['1']);
    expect(
      metadata.inputs.map((input) => [input.name, input.datatype, input.shape.map(Number)]),
    ).toEqual([['images', 'FP32', [-1, 3, 416, 416]]]);
    expect(metadata.outputs.map((output) => output.name)).toEqual([...NANODET_OUTPUTS]);
  });

  it('ModelConfig returns the parsed config.pbtxt', async () => {
    const response = await callUnary<ModelConfigResponse>(
      client,
      'modelConfig',
      create(ModelConfigRequestSchema, { name: 'nanodet' }),
    );
    expect(response.config).toMatchObject({
      name: 'nanodet',
      platform: 'onnxruntime_onnx',
      maxBatchSize: 8,
    });
    expect(response.config?.input[0].dims).toEqual([3n, 416n, 416n]);
    expect(response.config?.schedulingChoice).toMatchObject({
      case: 'dynamicBatching',
      value: { preferredBatchSize: [4, 8] },
    });
    const unknown = await callUnary(
      client,
      'modelConfig',
      create(ModelConfigRequestSchema, { name: 'yolo' }),
    ).catch((error: ServiceError) => error);
    expect(unknown).toMatchObject({ code: status.NOT_FOUND });
  });

  it('ModelInfer with raw_input_contents returns exactly the tensors ONNX Runtime computes', async () => {
    const input = seededFloats(2 * NANODET_INPUT_SIZE, 5);
    const response = await callUnary<ModelInferResponse>(
      client,
      'modelInfer',
      rawRequest(input, 2),
    );
    expect(response).toMatchObject({ modelName: 'nanodet', modelVersion: '1', id: 'grpc-1' });
    expect(response.outputs[0].shape.map(Number)).toEqual([2, 2704, 80]);
    const reference = await nanodetReference(input, 2);
    const outputs = rawOutputsOf(response);
    for (const name of NANODET_OUTPUTS) expect(outputs[name]).toEqual(reference[name]);
  });

  it('ModelInfer accepts typed fp32_contents too', async () => {
    const input = seededFloats(NANODET_INPUT_SIZE, 9);
    const request = create(ModelInferRequestSchema, {
      modelName: 'nanodet',
      inputs: [
        create(ModelInferRequest_InferInputTensorSchema, {
          name: 'images',
          datatype: 'FP32',
          shape: [1n, 3n, 416n, 416n],
          contents: create(InferTensorContentsSchema, { fp32Contents: Array.from(input) }),
        }),
      ],
      outputs: [{ name: 'reg_s32' }],
    });
    const response = await callUnary<ModelInferResponse>(client, 'modelInfer', request);
    expect(response.outputs.map((output) => output.name)).toEqual(['reg_s32']);
    expect(rawOutputsOf(response).reg_s32).toEqual((await nanodetReference(input, 1)).reg_s32);
  });

  it('ModelStreamInfer answers every request in order, a bad one with error_message, and stays open', async () => {
    const good = seededFloats(NANODET_INPUT_SIZE, 21);
    const stream = (
      client.modelStreamInfer as () => ClientDuplexStream<
        ModelInferRequest,
        ModelStreamInferResponse
      >
    ).call(client);
    const responses: ModelStreamInferResponse[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (response: ModelStreamInferResponse) => responses.push(response));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write(rawRequest(good, 1));
    stream.write(rawRequest(good, 1, 'missing-model'));
    stream.write(rawRequest(good, 1));
    stream.end();
    await done;
    expect(responses.map((response) => response.errorMessage)).toEqual([
      '',
      "unknown model 'missing-model'",
      '',
    ]);
    const reference = await nanodetReference(good, 1);
    for (const response of [responses[0], responses[2]]) {
      expect(rawOutputsOf(response.inferResponse as ModelInferResponse).cls_s8).toEqual(
        reference.cls_s8,
      );
    }
  });

  it.each([
    [
      'unknown model',
      rawRequest(new Float32Array(NANODET_INPUT_SIZE), 1, 'yolo'),
      status.NOT_FOUND,
      /unknown model 'yolo'/,
    ],
    [
      'wrong byte count',
      create(ModelInferRequestSchema, {
        modelName: 'nanodet',
        inputs: [{ name: 'images', datatype: 'FP32', shape: [1n, 3n, 416n, 416n] }],
        rawInputContents: [new Uint8Array(12)],
      }),
      status.INVALID_ARGUMENT,
      /expected 2076672 bytes/,
    ],
    [
      'raw contents count mismatch',
      create(ModelInferRequestSchema, {
        modelName: 'nanodet',
        inputs: [{ name: 'images', datatype: 'FP32', shape: [1n] }],
        rawInputContents: [new Uint8Array(4), new Uint8Array(4)],
      }),
      status.INVALID_ARGUMENT,
      /raw_input_contents has 2 entries for 1 inputs/,
    ],
    [
      'wrong datatype',
      create(ModelInferRequestSchema, {
        modelName: 'nanodet',
        inputs: [{ name: 'images', datatype: 'FP64', shape: [1n, 3n, 416n, 416n] }],
        rawInputContents: [new Uint8Array(NANODET_INPUT_SIZE * 8)],
      }),
      status.INVALID_ARGUMENT,
      /datatype FP64 does not match the model's FP32/,
    ],
    [
      'no contents at all',
      create(ModelInferRequestSchema, {
        modelName: 'nanodet',
        inputs: [{ name: 'images', datatype: 'FP32', shape: [1n, 3n, 416n, 416n] }],
      }),
      status.INVALID_ARGUMENT,
      /'images' has no contents/,
    ],
  ])(
    'ModelInfer with %s fails with the right status and message',
    async (_name, request, code, message) => {
      const error = await callUnary(client, 'modelInfer', request).catch(
        (caught: ServiceError) => caught,
      );
      expect(error).toMatchObject({ code, details: expect.stringMatching(message) });
    },
  );

  it('refuses bytes that are not a protobuf message with INVALID_ARGUMENT, not INTERNAL', async () => {
    const rawClient = client as unknown as { makeUnaryRequest: Client['makeUnaryRequest'] };
    const error = await new Promise<ServiceError | null>((resolve) => {
      rawClient.makeUnaryRequest(
        '/inference.GRPCInferenceService/ModelInfer',
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        (caught) => resolve(caught),
      );
    });
    expect(error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/malformed inference.ModelInferRequest/),
    });
  });
});
