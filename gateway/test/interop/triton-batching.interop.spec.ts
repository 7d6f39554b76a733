/**
 * The gateway's own dynamic batcher in front of a real NVIDIA Triton Inference Server: concurrent
 * KServe calls reach Triton as fewer, larger requests, and every answer is bit-identical to ONNX Runtime
 * in Node running each request alone (triton-direct.interop.spec.ts establishes Triton itself is).
 */
import {
  GRPCInferenceService,
  type ModelInferResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import type { RunningGateway } from '../../src/gateway-app';
import {
  NANODET_INPUT_SIZE,
  NANODET_OUTPUTS,
  nanodetInferRequest,
  nanodetReference,
  rawOutputsOf,
} from '../nanodet-reference';
import {
  authHeaders,
  callUnary,
  grpcClient,
  seededFloats,
  startTestGateway,
} from '../test-gateway';
import { startTritonServer, tritonHttp, withoutTriton, type RunningTriton } from './triton-server';
import { sampleValue } from '../prometheus-text';

/** Eight single images and one request carrying two. */
const BATCHES = [1, 1, 1, 1, 1, 1, 1, 1, 2];
const SEED = 20260612;

interface TritonStats {
  inference_count: number;
  execution_count: number;
  inference_stats: { success: { count: number } };
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

describe("the gateway's dynamic batcher in front of a real Triton", () => {
  if (withoutTriton('the gateway batching over Triton interop spec')) return;

  let triton: RunningTriton;
  let gateway: RunningGateway;

  beforeAll(async () => {
    triton = await startTritonServer();
    gateway = await startTestGateway({
      TRITON_GRPC_URLS: triton.grpcAddress,
      TRITON_TIMEOUT_MS: '30000',
      GATEWAY_BATCHING: 'fixed',
      // Generous, so the concurrent calls meet in batches even on a busy machine.
      GATEWAY_BATCH_MAX_QUEUE_DELAY_US: '100000',
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    await triton?.stop();
  });

  it('sends concurrent calls to Triton as fewer requests, each answer bit-identical', async () => {
    const stats = async (): Promise<TritonStats> => {
      const { body } = await tritonHttp(`http://${triton.httpAddress}/v2/models/nanodet/stats`);
      return (JSON.parse(body.toString()) as { model_stats: TritonStats[] }).model_stats[0];
    };
    const inputs = BATCHES.map((batch, index) =>
      seededFloats(NANODET_INPUT_SIZE * batch, SEED + index),
    );
    const before = await stats();
    const client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    let answers: ModelInferResponse[];
    try {
      answers = await Promise.all(
        inputs.map((input, index) =>
          callUnary<ModelInferResponse>(
            client,
            'modelInfer',
            nanodetInferRequest(input, BATCHES[index], { id: `tb-${index}` }),
          ),
        ),
      );
    } finally {
      client.close();
    }
    const after = await stats();

    const differing: string[] = [];
    for (const [index, answer] of answers.entries()) {
      expect(answer.id).toBe(`tb-${index}`);
      const outputs = rawOutputsOf(answer);
      const expected = await nanodetReference(inputs[index], BATCHES[index]);
      for (const name of NANODET_OUTPUTS) {
        if (!sameBits(outputs[name], expected[name])) differing.push(`tb-${index}.${name}`);
      }
    }
    expect(differing).toEqual([]);

    const text = await (
      await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() })
    ).text();
    const nanodet = { model: 'nanodet', version: '1' };
    const batches = sampleValue(text, 'gateway_batch_size_count', nanodet)!;
    const images = BATCHES.reduce((sum, batch) => sum + batch, 0);
    expect(sampleValue(text, 'gateway_batch_size_sum', nanodet)).toBe(images);
    expect(batches).toBeLessThan(BATCHES.length);
    // Triton saw one request per gateway batch, carrying every image.
    expect(after.inference_stats.success.count - before.inference_stats.success.count).toBe(
      batches,
    );
    expect(after.inference_count - before.inference_count).toBe(images);
  });
});
