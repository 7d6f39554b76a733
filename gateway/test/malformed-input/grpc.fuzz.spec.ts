import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  ModelInferRequest_InferRequestedOutputTensorSchema,
  ModelStreamInferResponseSchema,
} from '@contracts/generated/inference/grpc_service_pb';
import { DetectRequestSchema, VisionService } from '@contracts/generated/vision/v1/vision_pb';
import {
  FrameResultSchema,
  FrameSchema,
  StreamService,
} from '@contracts/generated/vision/v1/streams_pb';
import { nanodetInferRequest } from '../nanodet-reference';
import { callUnary, grpcClient, sampleImage } from '../test-gateway';
import { startMeteredGateway, type MeteredGateway } from '../hostile/cost-meter';
import { answerWithin, assertCheaply } from './cheap-property';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters } from './fuzz-settings';
import { damagedImage } from './image-arbitraries';
import { detectRequest, messageBytes, modelInferRequest, validEncodings } from './grpc-arbitraries';

/** Statuses that would mean the gateway failed rather than the request. */
const SERVER_FAULTS = new Set<number>([status.UNKNOWN, status.INTERNAL, status.DATA_LOSS]);

/** The malformed-input contract of a gRPC answer: success, or a typed status saying what was wrong. */
function expectTypedOutcome(method: string, error: ServiceError | null): void {
  if (!error) return;
  if (SERVER_FAULTS.has(error.code) || (error.details ?? '').trim().length < 8) {
    throw new Error(`${method} answered ${status[error.code]} (${error.code}): ${error.details}`);
  }
}

const identity = (bytes: Buffer): Buffer => bytes;

jest.setTimeout(FUZZ_TEST_TIMEOUT_MS);

describe('malformed input: gRPC (property-based)', () => {
  let gateway: MeteredGateway;
  let kserve: Client & Record<string, unknown>;
  let vision: Client & Record<string, unknown>;
  let jpeg: Buffer;

  const unary = (client: Client, path: string, bytes: Buffer): Promise<ServiceError | null> =>
    answerWithin(
      path,
      new Promise((resolve) => {
        client.makeUnaryRequest(path, identity, identity, bytes, (error) => resolve(error));
      }),
    );

  const outcome = (client: Client & Record<string, unknown>, method: string, request: unknown) =>
    answerWithin(
      method,
      callUnary(client, method, request).then(
        () => null,
        (error: ServiceError) => error,
      ),
    );

  beforeAll(async () => {
    // The client holds the admin key and the properties reach every unary method: a damaged
    // message can be a well-formed RepositoryModelUnload naming nanodet (one flipped tag byte turns
    // a request's field 1 into field 2). Model control off: those requests are still decoded and
    // refused with a typed status, and nothing the fuzz sends can unload the model under test.
    gateway = await startMeteredGateway({ GATEWAY_MODEL_CONTROL_MODE: 'none' });
    kserve = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    vision = grpcClient(VisionService, gateway.grpcAddress);
    jpeg = sampleImage('messi5.jpg');
    // The properties send valid batches of up to max_batch_size (8): one first, so ONNX Runtime's
    // arena is at that working size before any cost is read (growing it is not the input's cost).
    const warmUp = nanodetInferRequest(new Float32Array(8 * 3 * 416 * 416), 8, { id: 'warm-up' });
    // Only the smallest output comes back: the whole answer is larger than the client accepts.
    warmUp.outputs = [
      create(ModelInferRequest_InferRequestedOutputTensorSchema, { name: 'reg_s32' }),
    ];
    await callUnary(kserve, 'modelInfer', warmUp);
  });
  afterAll(async () => {
    kserve.close();
    vision.close();
    await gateway.kill();
  });

  // Each property leaves the gateway serving: a valid infer and a valid detect still succeed.
  afterEach(async () => {
    const input = new Float32Array(3 * 416 * 416);
    await expect(
      callUnary(kserve, 'modelInfer', nanodetInferRequest(input, 1, { id: 'after-fuzz' })),
    ).resolves.toMatchObject({ modelName: 'nanodet' });
    await expect(
      callUnary(vision, 'detect', create(DetectRequestSchema, { model: 'nanodet', image: jpeg })),
    ).resolves.toMatchObject({ model: 'nanodet' });
  });

  it('answers random and damaged bytes on every unary method with a typed status', async () => {
    const methods = [
      ...GRPCInferenceService.methods.filter((method) => method.methodKind === 'unary'),
      ...VisionService.methods,
      ...StreamService.methods.filter((method) => method.methodKind === 'unary'),
    ].map((method) => `/${method.parent.typeName}/${method.name}`);
    await assertCheaply(
      gateway,
      fc.asyncProperty(
        fc.constantFrom(...methods),
        messageBytes(validEncodings(jpeg)),
        async (path, bytes) => {
          expectTypedOutcome(path, await unary(kserve, path, bytes));
        },
      ),
      fuzzParameters(200),
    );
  });

  it('answers random bytes on ModelStreamInfer per message and keeps the stream healthy', async () => {
    await assertCheaply(
      gateway,
      fc.asyncProperty(
        fc.array(messageBytes(validEncodings(jpeg)), { minLength: 1, maxLength: 5 }),
        async (messages) => {
          const responses: Buffer[] = [];
          const error = await new Promise<ServiceError | null>((resolve) => {
            const stream = kserve.makeBidiStreamRequest(
              '/inference.GRPCInferenceService/ModelStreamInfer',
              identity,
              identity,
            );
            stream.on('data', (bytes: Buffer) => responses.push(bytes));
            stream.on('error', (caught: ServiceError) => resolve(caught));
            stream.on('status', (final: { code: status }) => {
              if (final.code === status.OK) resolve(null);
            });
            for (const message of messages) stream.write(message);
            stream.end();
          });
          expectTypedOutcome('ModelStreamInfer', error);
          if (error) return;
          expect(responses).toHaveLength(messages.length);
          for (const bytes of responses) {
            const response = fromBinary(ModelStreamInferResponseSchema, bytes);
            if (!response.inferResponse) expect(response.errorMessage.length).toBeGreaterThan(7);
          }
        },
      ),
      fuzzParameters(40),
    );
  });

  it('answers random and damaged frames on StreamTrack with a typed status or a per-frame error', async () => {
    const frames = [
      toBinary(
        FrameSchema,
        create(FrameSchema, {
          config: { model: 'nanodet', policy: 3, options: { classes: ['person'] } },
          cameraId: 'fuzz',
          seq: 1n,
          image: jpeg,
        }),
      ),
      toBinary(FrameSchema, create(FrameSchema, { cameraId: 'fuzz', seq: 2n, image: jpeg })),
    ];
    await assertCheaply(
      gateway,
      fc.asyncProperty(
        fc.array(messageBytes(frames), { minLength: 1, maxLength: 4 }),
        async (messages) => {
          const results: Buffer[] = [];
          const error = await answerWithin(
            'StreamTrack',
            new Promise<ServiceError | null>((resolve) => {
              const stream = vision.makeBidiStreamRequest(
                '/vision.v1.StreamService/StreamTrack',
                identity,
                identity,
              );
              stream.on('data', (bytes: Buffer) => results.push(bytes));
              stream.on('error', (caught: ServiceError) => resolve(caught));
              stream.on('status', (final: { code: status }) => {
                if (final.code === status.OK) resolve(null);
              });
              for (const message of messages) stream.write(message);
              stream.end();
            }),
          );
          expectTypedOutcome('StreamTrack', error);
          for (const bytes of results) {
            const result = fromBinary(FrameResultSchema, bytes);
            if (result.error) expect(result.error.message.length).toBeGreaterThan(7);
            expect(SERVER_FAULTS.has(result.error?.code ?? 0)).toBe(false);
          }
        },
      ),
      fuzzParameters(40),
    );
  });

  it('answers structurally valid ModelInferRequest messages with wrong content with a typed status', async () => {
    await assertCheaply(
      gateway,
      fc.asyncProperty(modelInferRequest, async (request) => {
        expectTypedOutcome('ModelInfer', await outcome(kserve, 'modelInfer', request));
      }),
      fuzzParameters(120),
    );
  });

  it('answers structurally valid DetectRequest messages with wrong content with a typed status', async () => {
    const images = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
      damagedImage([{ name: 'messi5.jpg', bytes: jpeg }]).map((image) => image.bytes),
      fc.constant(jpeg),
    );
    await assertCheaply(
      gateway,
      fc.asyncProperty(detectRequest(images), async (request) => {
        expectTypedOutcome('Detect', await outcome(vision, 'detect', request));
      }),
      fuzzParameters(80),
    );
  });
});
