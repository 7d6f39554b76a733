/**
 * Triton's classification extension on both KServe front doors, against nanodet's per-class score
 * outputs (cls_sN: [cells, 80], labelled from labels.txt): the top N of each batch row as
 * "value:index:label" BYTES strings, checked against ONNX Runtime's own scores ranked here; and the
 * gRPC calls that name no model refused as INVALID_ARGUMENT naming the field.
 */
import { create } from '@bufbuild/protobuf';
import { status, type Client, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  ModelConfigRequestSchema,
  ModelMetadataRequestSchema,
  ModelReadyRequestSchema,
  type ModelInferResponse,
  type ModelStreamInferResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import { BytesTensorData } from '../src/inference/tensor';
import { runAtOnce } from '../src/event-loop/sliced-work';
import { expectedClasses } from './classification-reference';
import { NANODET_INPUT_SIZE, nanodetInferRequest, nanodetReference } from './nanodet-reference';
import {
  authHeaders,
  callUnary,
  grpcClient,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from './test-gateway';

const CELLS_S32 = 169;

function bytesStrings(raw: Uint8Array, count: number): string[] {
  const data = runAtOnce(BytesTensorData.fromWire('output', raw, count));
  return [...data.elements()].map((element) => Buffer.from(element).toString());
}

describe('classification extension (class_count) on KServe REST and gRPC', () => {
  const input = seededFloats(2 * NANODET_INPUT_SIZE, 20260611);
  let gateway: TestGateway;
  let client: Client & Record<string, unknown>;
  let reference: Record<string, Float32Array>;

  beforeAll(async () => {
    gateway = await startTestGateway();
    client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    reference = await nanodetReference(input, 2);
  }, 120_000);
  afterAll(async () => {
    client?.close();
    await gateway?.close();
  });

  async function restInfer(outputs: unknown[]): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet/infer`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          { name: 'images', datatype: 'FP32', shape: [2, 3, 416, 416], data: Array.from(input) },
        ],
        outputs,
      }),
    });
    return { status: response.status, body: await response.json() };
  }

  it('REST: per row, the top N of the flattened [cells, 80] scores, labelled, BYTES [2, N]', async () => {
    const { status: got, body } = await restInfer([
      { name: 'cls_s32', parameters: { classification: 5 } },
      { name: 'reg_s32', parameters: { classification: 2 } },
    ]);
    expect(got).toBe(200);
    const [cls, reg] = (
      body as { outputs: { name: string; datatype: string; shape: number[]; data: string[] }[] }
    ).outputs;
    expect(cls).toEqual({
      name: 'cls_s32',
      datatype: 'BYTES',
      shape: [2, 5],
      data: expectedClasses(reference.cls_s32, 2, 5, true),
    });
    // reg_sN has no label_filename: "value:index" only.
    expect(reg).toEqual({
      name: 'reg_s32',
      datatype: 'BYTES',
      shape: [2, 2],
      data: expectedClasses(reference.reg_s32, 2, 2, false),
    });
  });

  it('gRPC: the same strings from InferRequestedOutputTensor.parameters["classification"]', async () => {
    const request = nanodetInferRequest(input, 2, { id: 'classify' });
    request.outputs = [
      {
        $typeName: 'inference.ModelInferRequest.InferRequestedOutputTensor',
        name: 'cls_s32',
        parameters: {
          classification: {
            $typeName: 'inference.InferParameter',
            parameterChoice: { case: 'int64Param', value: 5n },
          },
        },
      },
    ];
    const response = await callUnary<ModelInferResponse>(client, 'modelInfer', request);
    expect(
      response.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
    ).toEqual([{ name: 'cls_s32', datatype: 'BYTES', shape: [2n, 5n] }]);
    expect(bytesStrings(response.rawOutputContents[0], 10)).toEqual(
      expectedClasses(reference.cls_s32, 2, 5, true),
    );
  });

  it.each([
    [0, "parameter 'classification' must be a positive integer"],
    [2.5, "parameter 'classification' must be a positive integer"],
    ['3', "parameter 'classification' must be a positive integer"],
  ])('REST refuses classification %p with 400 naming the output', async (count, message) => {
    const { status: got, body } = await restInfer([
      { name: 'cls_s32', parameters: { classification: count } },
    ]);
    expect(got).toBe(400);
    expect((body as { error: string }).error).toContain(`output 'cls_s32': `);
    expect((body as { error: string }).error).toContain(message);
  });

  it('gRPC: a class count past the row returns the whole row ranked (as Triton); not an int64_param is INVALID_ARGUMENT', async () => {
    const ask = async (
      parameterChoice:
        { case: 'int64Param'; value: bigint } | { case: 'stringParam'; value: string },
    ) => {
      const request = nanodetInferRequest(input.subarray(0, NANODET_INPUT_SIZE), 1, { id: 'x' });
      request.outputs = [
        {
          $typeName: 'inference.ModelInferRequest.InferRequestedOutputTensor',
          name: 'cls_s32',
          parameters: {
            classification: { $typeName: 'inference.InferParameter', parameterChoice },
          },
        },
      ];
      return callUnary(client, 'modelInfer', request).catch((error: ServiceError) => error);
    };
    const whole = (await ask({ case: 'int64Param', value: 100_000n })) as ModelInferResponse;
    expect(whole.outputs.map(({ datatype, shape }) => ({ datatype, shape }))).toEqual([
      { datatype: 'BYTES', shape: [1n, BigInt(CELLS_S32 * 80)] },
    ]);
    expect(await ask({ case: 'stringParam', value: '3' })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details:
        "output 'cls_s32': parameter 'classification' must be an int64_param, got stringParam",
    });
  });

  it('gRPC calls naming no model are INVALID_ARGUMENT naming the field, not NOT_FOUND', async () => {
    const refused = (method: string, request: unknown) =>
      callUnary(client, method, request).then(
        () => undefined,
        (error: ServiceError) => ({ code: status[error.code], details: error.details }),
      );
    const nameRequired = {
      code: 'INVALID_ARGUMENT',
      details: "'name' is required: name the model to call",
    };
    expect(await refused('modelMetadata', create(ModelMetadataRequestSchema))).toEqual(
      nameRequired,
    );
    expect(await refused('modelReady', create(ModelReadyRequestSchema))).toEqual(nameRequired);
    expect(await refused('modelConfig', create(ModelConfigRequestSchema))).toEqual(nameRequired);
    const noModel = nanodetInferRequest(input.subarray(0, NANODET_INPUT_SIZE), 1, {
      id: 'x',
      model: '',
    });
    expect(await refused('modelInfer', noModel)).toEqual({
      code: 'INVALID_ARGUMENT',
      details: "'model_name' is required: name the model to call",
    });
    // On a stream the refusal is that message's error_message; the stream carries on.
    const stream = (
      client.modelStreamInfer as () => ClientDuplexStream<unknown, ModelStreamInferResponse>
    ).call(client);
    const answers: ModelStreamInferResponse[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('data', (answer: ModelStreamInferResponse) => answers.push(answer));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write(noModel);
    stream.end();
    await ended;
    expect(answers.map((answer) => answer.errorMessage)).toEqual([
      "'model_name' is required: name the model to call",
    ]);
  });
});
