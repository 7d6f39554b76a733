/**
 * Readiness over time with the embedded backend: gRPC health (Check and Watch) and /readyz follow
 * the backend as it is unloaded and loaded again, instead of keeping the state seen at start-up.
 */
import { INFERENCE_BACKEND } from '../src/request-path/inference-backend';
import type { OnnxRuntimeBackend } from '../src/inference/embedded/onnx-runtime.backend';
import { healthClient, type HealthClient } from './grpc-health';
import { startTestGateway, type TestGateway } from './test-gateway';
import { until } from './wait-until';

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
      await until(() => watched.statuses.length > 0, 'Watch reports SERVING', 10_000);

      await backend.close();
      expect(await readyz()).toBe(503);
      await until(
        async () => (await health.check()) === 'NOT_SERVING',
        'Check says NOT_SERVING',
        10_000,
      );
      expect(await health.check('vision.v1.VisionService')).toBe('NOT_SERVING');

      await backend.load();
      expect(await readyz()).toBe(200);
      await until(async () => (await health.check()) === 'SERVING', 'Check says SERVING', 10_000);
      await until(() => watched.statuses.length >= 3, 'Watch saw both changes', 10_000);
      expect(watched.statuses).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    } finally {
      watched.cancel();
    }
  });
});
