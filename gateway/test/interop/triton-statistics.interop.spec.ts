/**
 * The statistics extension in front of a real NVIDIA Triton Inference Server: the gateway answers
 * with Triton's own counts and compute times (ModelStatistics over gRPC), with the time calls
 * waited in the gateway added to queue and success; read side by side with Triton's own REST
 * statistics endpoint after the same calls.
 */
import { create } from '@bufbuild/protobuf';
import type { Client } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  ModelStatisticsRequestSchema,
  type ModelStatisticsResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import { nanodetBinaryInferBody, NANODET_INPUT_SIZE } from '../nanodet-reference';
import {
  authHeaders,
  callUnary,
  grpcClient,
  sampleImage,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from '../test-gateway';
import { startTritonServer, tritonHttp, withoutTriton, type RunningTriton } from './triton-server';
import type { ModelStatJson } from '../../src/kserve/statistics/statistics-json';

/** Triton's `$model_stat`, as Triton and the gateway write it. */
type ModelStat = ModelStatJson;

describe('statistics extension in front of a real Triton Inference Server', () => {
  if (withoutTriton('the statistics interop spec')) return;

  let triton: RunningTriton;
  let gateway: TestGateway;
  let client: Client & Record<string, unknown>;

  /** Triton's own answer, straight from its REST endpoint. */
  const tritonStats = async (): Promise<ModelStat> => {
    const { status, body } = await tritonHttp(
      `http://${triton.httpAddress}/v2/models/nanodet/versions/1/stats`,
    );
    expect(status).toBe(200);
    return (JSON.parse(body.toString()) as { model_stats: ModelStat[] }).model_stats[0];
  };
  const gatewayStats = async (): Promise<ModelStat> => {
    const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet/versions/1/stats`, {
      headers: authHeaders(),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { model_stats: ModelStat[] }).model_stats[0];
  };

  beforeAll(async () => {
    triton = await startTritonServer();
    gateway = await startTestGateway({
      TRITON_GRPC_URLS: triton.grpcAddress,
      TRITON_TIMEOUT_MS: '30000',
      TRITON_HEALTH_INTERVAL_MS: '500',
    });
    client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await gateway?.close();
    await triton?.stop();
  });

  it("carries Triton's counts for the calls made through the gateway, and adds the gateway's queue", async () => {
    const before = await tritonStats();
    // One at a time (each its own execution at Triton): KServe infer of batch 1, 2 and 1, and a
    // detect call (batch 1).
    for (const batch of [1, 2, 1]) {
      const infer = nanodetBinaryInferBody(seededFloats(batch * NANODET_INPUT_SIZE, 3), batch);
      const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet/infer`, {
        method: 'POST',
        headers: { ...authHeaders(), ...infer.headers },
        body: infer.body,
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const detect = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
      body: sampleImage('messi5.jpg'),
    });
    expect(detect.status).toBe(200);
    await detect.arrayBuffer();

    const direct = await tritonStats();
    const through = await gatewayStats();
    // Triton counted the four calls, and the gateway reports Triton's counts.
    expect(direct.inference_stats.success.count - before.inference_stats.success.count).toBe(4);
    expect(direct.inference_count - before.inference_count).toBe(5);
    expect(direct.execution_count - before.execution_count).toBe(4);
    expect(through).toMatchObject({
      name: 'nanodet',
      version: '1',
      inference_count: direct.inference_count,
      execution_count: direct.execution_count,
      batch_stats: direct.batch_stats,
    });
    for (const key of [
      'fail',
      'compute_input',
      'compute_infer',
      'compute_output',
      'cache_hit',
    ] as const) {
      expect(through.inference_stats[key]).toEqual(direct.inference_stats[key]);
    }
    expect(through.inference_stats.success.count).toBe(direct.inference_stats.success.count);
    expect(through.inference_stats.queue.count).toBe(direct.inference_stats.queue.count);
    // The gateway's own wait (admission) is added to Triton's queue and request time alike.
    const waited = through.inference_stats.queue.ns - direct.inference_stats.queue.ns;
    expect(waited).toBeGreaterThan(0);
    expect(through.inference_stats.success.ns - direct.inference_stats.success.ns).toBe(waited);
    expect(through.last_inference).toBeGreaterThanOrEqual(direct.last_inference);

    // gRPC ModelStatistics through the gateway: the same numbers.
    const { modelStats } = await callUnary<ModelStatisticsResponse>(
      client,
      'modelStatistics',
      create(ModelStatisticsRequestSchema, { name: 'nanodet', version: '1' }),
    );
    expect(modelStats).toHaveLength(1);
    expect(Number(modelStats[0].executionCount)).toBe(direct.execution_count);
    expect(Number(modelStats[0].inferenceCount)).toBe(direct.inference_count);
    expect(Number(modelStats[0].inferenceStats?.queue?.ns)).toBe(through.inference_stats.queue.ns);
    expect(Number(modelStats[0].inferenceStats?.computeInfer?.ns)).toBe(
      direct.inference_stats.compute_infer.ns,
    );
  });
});
