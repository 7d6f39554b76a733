/**
 * Deadlines and readiness in front of a real NVIDIA Triton (TRITON_GRPC_URLS → TritonBackend):
 * a deadline the model cannot meet ends at the deadline with 504 while Triton works on it; a
 * deadline too short for the model is refused before Triton sees it (Triton's own request counters
 * stay put); gRPC health and /readyz follow Triton stopped and restarted under a running gateway.
 */
import { INFERENCE_BACKEND } from '../../src/request-path/inference-backend';
import type { TritonBackend } from '../../src/inference/triton/triton.backend';
import { healthClient, type HealthClient } from '../grpc-health';
import { NANODET_INPUT_SIZE, nanodetBinaryInferBody } from '../nanodet-reference';
import { authHeaders, seededFloats, startTestGateway, type TestGateway } from '../test-gateway';
import { startTritonServer, tritonHttp, withoutTriton, type RunningTriton } from './triton-server';
import { until } from '../wait-until';

/** A KServe REST infer (binary tensor extension) for nanodet with `batch` images. */
function infer(
  gateway: TestGateway,
  batch: number,
  headers: Record<string, string> = {},
): Promise<Response> {
  const infer = nanodetBinaryInferBody(seededFloats(batch * NANODET_INPUT_SIZE, 11), batch);
  return fetch(`${gateway.httpUrl}/v2/models/nanodet/infer`, {
    method: 'POST',
    headers: { ...authHeaders(), ...infer.headers, ...headers },
    body: infer.body,
  });
}

/** Requests Triton itself counted for nanodet (successes and failures), from its metrics port. */
async function tritonRequests(triton: RunningTriton): Promise<number> {
  const text = (await tritonHttp(triton.metricsUrl)).body.toString();
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^nv_inference_request_(?:success|failure)\{([^}]*)\} (\S+)$/.exec(line);
    if (match && match[1].includes('model="nanodet"')) total += Number(match[2]);
  }
  return total;
}

describe('deadlines and readiness in front of a real Triton Inference Server', () => {
  if (withoutTriton('the admission interop spec')) return;

  let triton: RunningTriton;
  let gateway: TestGateway;
  let health: HealthClient;

  beforeAll(async () => {
    triton = await startTritonServer();
    gateway = await startTestGateway({
      TRITON_GRPC_URLS: triton.grpcAddress,
      TRITON_TIMEOUT_MS: '30000',
      TRITON_HEALTH_INTERVAL_MS: '300',
      GATEWAY_READINESS_POLL_MS: '100',
    });
    health = healthClient(gateway.grpcAddress);
  }, 120_000);

  afterAll(async () => {
    health?.close();
    await gateway?.close();
    await triton?.stop();
  });

  it('a deadline shorter than the model takes ends in 504 at the deadline while Triton works on it, leaving no call outstanding', async () => {
    // No service-time estimate yet: the request is admitted and Triton gets the deadline.
    const started = Date.now();
    const response = await infer(gateway, 8, { 'x-request-timeout': '150ms' });
    const elapsed = Date.now() - started;
    expect(response.status).toBe(504);
    // Admitted (no estimate yet), then cut off at its deadline while Triton worked on it. Two
    // timers hold that same deadline, the admit stage's and the gRPC deadline of the call to
    // Triton; whichever fires first answers, both naming the deadline.
    expect(((await response.json()) as { error: string }).error).toMatch(
      /^(the deadline passed while model 'nanodet' version 1 was running .*the call was cancelled|the request's deadline passed before Triton endpoint [\d.:]+ answered)$/,
    );
    expect(elapsed).toBeLessThan(5000); // generous: what matters is it did not wait for Triton
    const backend = gateway.app.get<TritonBackend>(INFERENCE_BACKEND);
    await until(
      () => backend.outstandingCalls() === 0,
      'no call to Triton is left outstanding',
      30_000,
    );
  }, 60_000);

  it('a deadline too short for the model is refused before Triton sees the request', async () => {
    expect((await infer(gateway, 1, { 'x-request-timeout': '30s' })).status).toBe(200);
    const before = await tritonRequests(triton);
    expect(before).toBeGreaterThan(0);

    const refused = await infer(gateway, 1, { 'x-request-timeout': '1ms' });
    expect(refused.status).toBe(504);
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /^the deadline (cannot be met|passed before model 'nanodet' version 1 was called)/,
    );
    expect(await tritonRequests(triton)).toBe(before);
  }, 60_000);

  it('gRPC health and /readyz follow Triton stopped and restarted', async () => {
    const readyz = async () => (await fetch(`${gateway.httpUrl}/readyz`)).status;
    const watched = health.watch();
    try {
      expect(await health.check()).toBe('SERVING');
      expect(await readyz()).toBe(200);

      await triton.stop();
      await until(
        async () => (await health.check()) === 'NOT_SERVING',
        'Check says NOT_SERVING',
        30_000,
      );
      expect(await health.check('inference.GRPCInferenceService')).toBe('NOT_SERVING');
      expect(await readyz()).toBe(503);

      await triton.restart();
      await until(async () => (await health.check()) === 'SERVING', 'Check says SERVING', 30_000);
      expect(await readyz()).toBe(200);
      await until(() => watched.statuses.length >= 3, 'Watch saw both changes', 30_000);
      expect(watched.statuses).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    } finally {
      watched.cancel();
    }
  }, 180_000);
});
