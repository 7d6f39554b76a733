/**
 * Every front door hands the request path a call context: the authenticated caller, the priority
 * from x-priority, and the images the call carries. Observed on the real pipeline of a real gateway.
 */
import { create } from '@bufbuild/protobuf';
import type { Client, Metadata } from '@grpc/grpc-js';
import { GRPCInferenceService } from '@contracts/generated/inference/grpc_service_pb';
import { DetectRequestSchema, VisionService } from '@contracts/generated/vision/v1/vision_pb';
import type { CallContext } from '../../src/inference/call-context';
import { InferencePipeline } from '../../src/inference/inference-pipeline';
import { NANODET_INPUT_SIZE, nanodetInferRequest } from '../nanodet-reference';
import {
  authMetadata,
  createApiKey,
  grpcClient,
  sampleImage,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from '../test-gateway';

describe('call context from every front door', () => {
  let gateway: TestGateway;
  let key: string;
  let id: string;
  let seen: CallContext[];
  let kserve: Client & Record<string, unknown>;
  let vision: Client & Record<string, unknown>;

  beforeAll(async () => {
    gateway = await startTestGateway();
    ({ key, id } = await createApiKey(gateway.httpUrl, {
      tenant: 'team-ctx',
      scopes: ['infer:nanodet'],
    }));
    const pipeline = gateway.app.get(InferencePipeline);
    const infer = pipeline.infer.bind(pipeline);
    jest.spyOn(pipeline, 'infer').mockImplementation((request, call) => {
      seen.push(call);
      return infer(request, call);
    });
    kserve = grpcClient(GRPCInferenceService, gateway.grpcAddress, { apiKey: null });
    vision = grpcClient(VisionService, gateway.grpcAddress, { apiKey: null });
  });
  beforeEach(() => {
    seen = [];
  });
  afterAll(async () => {
    kserve?.close();
    vision?.close();
    await gateway?.close();
  });

  const caller = () => ({ tenant: 'team-ctx', subject: `key:${id}`, scopes: ['infer:nanodet'] });
  const metadata = (priority?: string): Metadata => {
    const result = authMetadata(key);
    if (priority) result.set('x-priority', priority);
    return result;
  };
  const unary = (
    client: Client & Record<string, unknown>,
    method: string,
    request: unknown,
    meta: Metadata,
  ) =>
    new Promise<void>((resolve, reject) =>
      (client[method] as (r: unknown, m: Metadata, cb: (error: Error | null) => void) => void).call(
        client,
        request,
        meta,
        (error) => (error ? reject(error) : resolve()),
      ),
    );

  it('KServe REST infer: the batch size as images, bulk from the header', async () => {
    const input = Array.from(seededFloats(2 * NANODET_INPUT_SIZE, 3));
    const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet/infer`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'x-priority': 'bulk', 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: 'images', datatype: 'FP32', shape: [2, 3, 416, 416], data: input }],
        outputs: [{ name: 'cls_s32' }],
      }),
    });
    expect(response.status).toBe(200);
    // Read the answer: an unread multi-megabyte body keeps the connection busy past close().
    await response.arrayBuffer();
    expect(seen).toEqual([{ caller: caller(), priority: 'bulk', images: 2 }]);
  });

  it('KServe gRPC ModelInfer and ModelStreamInfer: images per request, realtime by default', async () => {
    await unary(
      kserve,
      'modelInfer',
      nanodetInferRequest(seededFloats(2 * NANODET_INPUT_SIZE, 1), 2, { id: 'a' }),
      metadata(),
    );
    const stream = (
      kserve.modelStreamInfer as (
        m: Metadata,
      ) => NodeJS.ReadWriteStream & { end(): void; write(m: unknown): void }
    ).call(kserve, metadata('bulk'));
    const done = new Promise<void>((resolve) => stream.on('end', resolve));
    stream.on('data', () => undefined);
    stream.write(nanodetInferRequest(seededFloats(NANODET_INPUT_SIZE, 2), 1, { id: 'b' }));
    stream.write(nanodetInferRequest(seededFloats(2 * NANODET_INPUT_SIZE, 2), 2, { id: 'c' }));
    stream.end();
    await done;
    expect(seen).toEqual([
      { caller: caller(), priority: 'realtime', images: 2 },
      { caller: caller(), priority: 'bulk', images: 1 },
      { caller: caller(), priority: 'bulk', images: 2 },
    ]);
  });

  it('vision detect, REST and gRPC: one image, the caller carried through the detect pipeline', async () => {
    const rest = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'x-priority': 'realtime', 'content-type': 'image/jpeg' },
      body: sampleImage('messi5.jpg'),
    });
    expect(rest.status).toBe(200);
    await rest.arrayBuffer();
    await unary(
      vision,
      'detect',
      create(DetectRequestSchema, { model: 'nanodet', image: sampleImage('messi5.jpg') }),
      metadata('bulk'),
    );
    // The vision path charged the rate limits and admitted the call itself, before decoding.
    const visionPath = { limitsCharged: true, admitted: true };
    expect(seen).toEqual([
      { caller: caller(), priority: 'realtime', images: 1, ...visionPath },
      { caller: caller(), priority: 'bulk', images: 1, ...visionPath },
    ]);
  });
});
