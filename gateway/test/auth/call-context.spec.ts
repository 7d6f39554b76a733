/**
 * Every front door hands the call pipeline a call context: the authenticated caller, the priority
 * from x-priority, and the images the call carries; and every guard of the pipeline runs exactly
 * once per call (once per stream message). Observed on the real pipeline of a real gateway.
 */
import { create } from '@bufbuild/protobuf';
import type { Client, Metadata } from '@grpc/grpc-js';
import { GRPCInferenceService } from '@contracts/generated/inference/grpc_service_pb';
import { DetectRequestSchema, VisionService } from '@contracts/generated/vision/v1/vision_pb';
import type { CallContext } from '../../src/request-path/call-context';
import { AdmitStage } from '../../src/admission/admit.stage';
import { AuthorizeStage } from '../../src/auth/authorize.stage';
import { CallPipeline } from '../../src/pipeline/call-pipeline';
import { PrecheckStage } from '../../src/pipeline/precheck.stage';
import { RateLimitStage } from '../../src/rate-limits/rate-limit.stage';
import { RouteStage } from '../../src/routing/route.stage';
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
  /** What each call carried: its context, and the sticky-key header read through it. */
  let seen: (Omit<CallContext, 'header'> & { cameraId?: string })[];
  /** How often each stage ran, by name, since the test began. */
  let stageRuns: Record<string, number>;
  const guards = [
    AuthorizeStage.prototype,
    RateLimitStage.prototype,
    RouteStage.prototype,
    PrecheckStage.prototype,
  ];
  let kserve: Client & Record<string, unknown>;
  let vision: Client & Record<string, unknown>;

  beforeAll(async () => {
    gateway = await startTestGateway();
    ({ key, id } = await createApiKey(gateway.httpUrl, {
      tenant: 'team-ctx',
      scopes: ['infer:nanodet'],
    }));
    const pipeline = gateway.app.get(CallPipeline);
    const run = pipeline.run.bind(pipeline);
    jest.spyOn(pipeline, 'run').mockImplementation((call, ask, work, timings) => {
      const { caller, priority, images } = call;
      const cameraId = call.header?.('x-camera-id');
      seen.push({ caller, priority, images, ...(cameraId === undefined ? {} : { cameraId }) });
      return run(call, ask, work, timings);
    });
    const count = (name: string): void => {
      stageRuns[name] = (stageRuns[name] ?? 0) + 1;
    };
    for (const guard of guards) {
      const check = guard.check;
      jest.spyOn(guard, 'check').mockImplementation(function (this: typeof guard, guarded) {
        count(this.name);
        return check.call(this, guarded);
      });
    }
    const admit = AdmitStage.prototype.run;
    jest.spyOn(AdmitStage.prototype, 'run').mockImplementation(function (
      this: AdmitStage,
      ...args
    ) {
      count(this.name);
      return admit.apply(this, args);
    });
    kserve = grpcClient(GRPCInferenceService, gateway.grpcAddress, { apiKey: null });
    vision = grpcClient(VisionService, gateway.grpcAddress, { apiKey: null });
  });
  beforeEach(() => {
    seen = [];
    stageRuns = {};
  });
  afterEach(() => {
    // Every guard once per call the pipeline saw: none skipped, none run twice.
    const calls = seen.length;
    expect(stageRuns).toEqual({
      authorize: calls,
      'rate-limit': calls,
      route: calls,
      precheck: calls,
      admit: calls,
    });
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
  const withCamera = (meta: Metadata, camera: string): Metadata => {
    meta.set('x-camera-id', camera);
    return meta;
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
      headers: {
        'x-api-key': key,
        'x-priority': 'bulk',
        'x-camera-id': 'lobby-1',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        inputs: [{ name: 'images', datatype: 'FP32', shape: [2, 3, 416, 416], data: input }],
        outputs: [{ name: 'cls_s32' }],
      }),
    });
    expect(response.status).toBe(200);
    // Read the answer: an unread multi-megabyte body keeps the connection busy past close().
    await response.arrayBuffer();
    expect(seen).toEqual([{ caller: caller(), priority: 'bulk', images: 2, cameraId: 'lobby-1' }]);
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
    ).call(kserve, withCamera(metadata('bulk'), 'gate-7'));
    const done = new Promise<void>((resolve) => stream.on('end', resolve));
    stream.on('data', () => undefined);
    stream.write(nanodetInferRequest(seededFloats(NANODET_INPUT_SIZE, 2), 1, { id: 'b' }));
    stream.write(nanodetInferRequest(seededFloats(2 * NANODET_INPUT_SIZE, 2), 2, { id: 'c' }));
    stream.end();
    await done;
    expect(seen).toEqual([
      { caller: caller(), priority: 'realtime', images: 2 },
      { caller: caller(), priority: 'bulk', images: 1, cameraId: 'gate-7' },
      { caller: caller(), priority: 'bulk', images: 2, cameraId: 'gate-7' },
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
    // One call each: the detect call is charged and admitted as a whole, before decoding.
    expect(seen).toEqual([
      { caller: caller(), priority: 'realtime', images: 1 },
      { caller: caller(), priority: 'bulk', images: 1 },
    ]);
  });
});
