/**
 * Regression tests (issue 10, findings 1 and 2) for the KServe v2 gRPC tensor paths, measured on a
 * real gateway in a child process: what each hostile ModelInferRequest costs, not only its status.
 * The large messages are written as wire bytes here (a protobuf-es message of 33 M elements would
 * cost the test process what it is meant to cost the gateway).
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  ModelInferRequest_InferRequestedOutputTensorSchema,
  ModelStreamInferResponseSchema,
} from '@contracts/generated/inference/grpc_service_pb';
import { NANODET_INPUT_SIZE, nanodetInferRequest } from '../nanodet-reference';
import { callUnary, grpcClient, seededFloats } from '../test-gateway';
import {
  describeCost,
  expectCheap,
  measureCost,
  startMeteredGateway,
  type MeteredGateway,
} from './cost-meter';
import { bytesContentsBomb, rawBytesBomb } from './hostile-inputs';

const MODEL_INFER = '/inference.GRPCInferenceService/ModelInfer';
const MODEL_STREAM_INFER = '/inference.GRPCInferenceService/ModelStreamInfer';

const identity = (bytes: Buffer): Buffer => bytes;

function unaryBytes(client: Client, bytes: Buffer): Promise<ServiceError | null> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(MODEL_INFER, identity, identity, bytes, (error) =>
      resolve(error ?? null),
    );
  });
}

/** Sends `bytes` as the one message of a ModelStreamInfer stream; resolves its error_message. */
function streamBytes(client: Client, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const stream = client.makeBidiStreamRequest(MODEL_STREAM_INFER, identity, identity);
    stream.on('data', (response: Buffer) => {
      resolve(fromBinary(ModelStreamInferResponseSchema, response).errorMessage);
      stream.end();
    });
    stream.on('error', reject);
    stream.write(bytes);
  });
}

jest.setTimeout(300_000);

describe('hostile input: KServe v2 gRPC tensors (cost-metered)', () => {
  let gateway: MeteredGateway;
  let client: Client & Record<string, unknown>;

  beforeAll(async () => {
    gateway = await startMeteredGateway();
    client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
  });
  afterAll(async () => {
    client.close();
    await gateway.kill();
  });

  const DATATYPE_MISMATCH = /input 'images': datatype BYTES does not match the model's FP32/;

  it('refuses 33 M empty bytes_contents elements (ModelInfer) before decoding them', async () => {
    const bytes = bytesContentsBomb(33_000_000);
    const { cost, result } = await measureCost(gateway, () => unaryBytes(client, bytes));
    console.log(`bytes_contents bomb, ModelInfer: ${describeCost(cost)}`);
    expect({ code: result?.code, details: result?.details }).toEqual({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(DATATYPE_MISMATCH),
    });
    expectCheap(cost);
  });

  it('refuses the same message on ModelStreamInfer with an error_message, cheaply', async () => {
    const bytes = bytesContentsBomb(33_000_000);
    const { cost, result } = await measureCost(gateway, () => streamBytes(client, bytes));
    console.log(`bytes_contents bomb, ModelStreamInfer: ${describeCost(cost)}`);
    expect(result).toMatch(DATATYPE_MISMATCH);
    expectCheap(cost);
  });

  it('refuses a raw_input_contents BYTES tensor of 16.5 M empty elements without walking them', async () => {
    const bytes = rawBytesBomb(16_500_000);
    const { cost, result } = await measureCost(gateway, () => unaryBytes(client, bytes));
    console.log(`raw_input_contents BYTES bomb: ${describeCost(cost)}`);
    expect({ code: result?.code, details: result?.details }).toEqual({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(DATATYPE_MISMATCH),
    });
    expectCheap(cost);
  });

  it('refuses an output requested 150 times with INVALID_ARGUMENT', async () => {
    const request = nanodetInferRequest(seededFloats(NANODET_INPUT_SIZE), 1, { id: 'x150' });
    request.outputs = Array.from({ length: 150 }, () =>
      create(ModelInferRequest_InferRequestedOutputTensorSchema, { name: 'cls_s8' }),
    );
    const { cost, result } = await measureCost(gateway, () =>
      callUnary(client, 'modelInfer', request).then(
        () => null,
        (error: ServiceError) => error,
      ),
    );
    console.log(`output ×150, gRPC: ${describeCost(cost)}`);
    expect({ code: result?.code, details: result?.details }).toEqual({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/output 'cls_s8' is requested more than once/),
    });
    expectCheap(cost);
  });
});
