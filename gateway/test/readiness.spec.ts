/**
 * Readiness over time with the embedded backend: gRPC health (Check and Watch) and /readyz follow
 * the backend as it is unloaded and loaded again, instead of keeping the state seen at start-up.
 */
import { INFERENCE_BACKEND } from '../src/inference/inference-backend';
import type { OnnxRuntimeBackend } from '../src/inference/embedded/onnx-runtime.backend';
import { healthClient, type HealthClient } from './grpc-health';
import { startTestGateway, type TestGateway } from './test-gateway';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

describe('readiness follows the backend (gRPC health and /readyz)', () => {
  let gateway: TestGateway;
  let health: HealthClient;

  beforeAll(async () => {
    gateway = await startTestGateway({ GATEWAY_READINESS_POLL_MS: '100' });
    health = healthClient(gateway.grpcAddress);
  });
  afterAll(async () => {
    health?.close();
    await gateway?.close();
  });

  it('goes NOT_SERVING / 503 when the backend is unloaded and SERVING / 200 when it is back', async () => {
    const backend = gateway.app.get<OnnxRuntimeBackend>(INFERENCE_BACKEND);
    const readyz = async () => (await fetch(`${gateway.httpUrl}/readyz`)).status;
    const watched = health.watch('inference.GRPCInferenceService');
    try {
      expect(await health.check()).toBe('SERVING');
      expect(await readyz()).toBe(200);
      await until('Watch reports SERVING', () => watched.statuses.length > 0);

      await backend.close();
      expect(await readyz()).toBe(503);
      await until('Check says NOT_SERVING', async () => (await health.check()) === 'NOT_SERVING');
      expect(await health.check('vision.v1.VisionService')).toBe('NOT_SERVING');

      await backend.load();
      expect(await readyz()).toBe(200);
      await until('Check says SERVING', async () => (await health.check()) === 'SERVING');
      await until('Watch saw both changes', () => watched.statuses.length >= 3);
      expect(watched.statuses).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    } finally {
      watched.cancel();
    }
  });
});
