/**
 * Circuit breakers and the retry budget in front of real NVIDIA Triton servers: two Tritons behind
 * one gateway, one killed under load (its breaker opens, the retry budget moves the calls that were
 * on the wire to the other, nothing fails) and restarted (half-open, one probe, closed); then one
 * Triton alone behind a gateway, killed (every request fails at once with 503 / UNAVAILABLE and a
 * retry delay instead of waiting for a timeout) and restarted (served again). State is read from
 * the gateway's /metrics and the backend, never inferred from timings.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { status, type ServiceError } from '@grpc/grpc-js';
import { GRPCInferenceService } from '@contracts/generated/inference/grpc_service_pb';
import { INFERENCE_BACKEND } from '../../src/request-path/inference-backend';
import type { TritonBackend } from '../../src/inference/triton/triton.backend';
import { authHeaders, grpcClient, sampleImage, startTestGateway } from '../test-gateway';
import { startModelInferLoad, type ClosedLoopLoad } from './closed-loop-load';
import { scrapeMetric } from '../prometheus-text';
import { endpointOf } from './triton-endpoint-state';
import { startTritonServer, withoutTriton, type RunningTriton } from './triton-server';
import { until } from '../wait-until';

/** The gateway settings of both gateways here: quick health rounds, a short reset timeout. */
const GATEWAY_ENV = {
  // Far beyond any step here: failing at once must not mean "at the deadline".
  TRITON_TIMEOUT_MS: '30000',
  TRITON_HEALTH_INTERVAL_MS: '500',
  GATEWAY_BREAKER_RESET_MS: '1500',
};

describe('circuit breakers and the retry budget in front of real Triton servers', () => {
  if (withoutTriton('the breaker interop spec')) return;

  let tritonA: RunningTriton;
  let tritonB: RunningTriton;

  beforeAll(async () => {
    [tritonA, tritonB] = await Promise.all([startTritonServer(), startTritonServer()]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([tritonA?.stop(), tritonB?.stop()]);
  });

  it('one of two endpoints killed under load: its breaker opens, the other takes every call; restarted, a probe closes it', async () => {
    const gateway = await startTestGateway({
      ...GATEWAY_ENV,
      TRITON_GRPC_URLS: `${tritonA.grpcAddress},${tritonB.grpcAddress}`,
    });
    const client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    const a = tritonA.grpcAddress;
    const transitions = (from: string, to: string) =>
      scrapeMetric(gateway, 'gateway_breaker_transitions_total', {
        backend: 'triton',
        endpoint: a,
        from,
        to,
      });
    let load: ClosedLoopLoad<ServiceError> | undefined;
    try {
      await until(
        () => gateway.app.get<TritonBackend>(INFERENCE_BACKEND).isModelReady('nanodet', ''),
        'nanodet ready through the gateway',
      );
      const running = (load = startModelInferLoad(client, 4, { id: 'breakers' }));
      await until(() => running.successes() >= 8, 'warm-up answers');
      // Kill A while calls are on the wire to it (sent, not yet answered).
      await until(() => endpointOf(gateway, a).outstanding >= 1, 'a call on the wire to A');
      const killStarted = Date.now();
      await tritonA.kill();
      await until(() => endpointOf(gateway, a).breaker === 'open', "A's breaker open", 10_000);
      const answeredAtKill = running.successes();
      await until(() => running.successes() >= answeredAtKill + 12, 'B answering for both');

      // The calls that were on A failed UNAVAILABLE and went to B within the budget.
      expect(
        await scrapeMetric(gateway, 'gateway_backend_retries_total', {
          backend: 'triton',
          reason: 'unavailable',
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(await transitions('closed', 'open')).toBe(1);
      // Open, or half-open once the reset timeout passed: either way A gets no call while down.
      expect(
        await scrapeMetric(gateway, 'gateway_breaker_state', { backend: 'triton', endpoint: a }),
      ).toBeGreaterThanOrEqual(1);

      await tritonA.restart();
      // Back: a health round passes, the breaker is half-open, the next call to A is the probe.
      await until(() => endpointOf(gateway, a).breaker === 'closed', "A's breaker closed again");
      const outcomes = await running.stop();

      const failures = outcomes.filter(
        (outcome) => outcome.error && outcome.endedAt >= killStarted,
      );
      expect(failures.map((failure) => failure.error?.details)).toEqual([]);
      expect(await transitions('open', 'half_open')).toBeGreaterThanOrEqual(1);
      expect(await transitions('half_open', 'closed')).toBe(1);
      expect(
        await scrapeMetric(gateway, 'gateway_breaker_state', { backend: 'triton', endpoint: a }),
      ).toBe(0);
      expect(
        await scrapeMetric(gateway, 'gateway_breaker_state', {
          backend: 'triton',
          endpoint: tritonB.grpcAddress,
        }),
      ).toBe(0);
    } finally {
      await load?.stop();
      client.close();
      await gateway.close();
    }
  }, 180_000);

  it('the only endpoint killed: every request fails at once with 503 / UNAVAILABLE and a retry delay; restarted, it serves again', async () => {
    const gateway = await startTestGateway({
      ...GATEWAY_ENV,
      TRITON_GRPC_URLS: tritonB.grpcAddress,
    });
    const client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    const b = tritonB.grpcAddress;
    const detect = () =>
      fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
        method: 'POST',
        headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
        body: sampleImage('messi5.jpg'),
      });
    let load: ClosedLoopLoad<ServiceError> | undefined;
    try {
      await until(
        () => gateway.app.get<TritonBackend>(INFERENCE_BACKEND).isModelReady('nanodet', ''),
        'nanodet ready through the gateway',
      );
      const running = (load = startModelInferLoad(client, 2, { id: 'breakers' }));
      await until(() => running.successes() >= 4, 'warm-up answers');
      await until(() => endpointOf(gateway, b).outstanding >= 1, 'a call on the wire to B');
      await tritonB.kill();
      const killedAt = Date.now(); // the whole process group is gone
      await until(
        () => running.outcomes.filter((outcome) => outcome.startedAt > killedAt).length >= 10,
        'requests after the kill answered',
      );
      const rest = await detect();
      const outcomes = await running.stop();

      const after = outcomes.filter((outcome) => outcome.endedAt >= killedAt);
      expect(after.filter((outcome) => outcome.startedAt > killedAt && !outcome.error)).toEqual([]);
      for (const { error, startedAt, endedAt } of after.filter((outcome) => outcome.error)) {
        expect(error).toMatchObject({ code: status.UNAVAILABLE });
        // A delay to come back after, in the trailers (whole milliseconds, at least one).
        expect(error?.metadata.get('retry-after-ms')).toEqual([
          expect.stringMatching(/^[1-9]\d*$/),
        ]);
        // Refused at once: nothing waits for the 30 s call timeout (a generous bound, no timing claim).
        expect(endedAt - Math.max(startedAt, killedAt)).toBeLessThan(5000);
      }
      expect(rest.status).toBe(503);
      expect(rest.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(await rest.json()).toMatchObject({ error: { code: 'unavailable' } });
      expect(
        await scrapeMetric(gateway, 'gateway_breaker_transitions_total', {
          backend: 'triton',
          endpoint: b,
          from: 'closed',
          to: 'open',
        }),
      ).toBe(1);

      await tritonB.restart();
      let answer = await detect();
      const deadline = Date.now() + 60_000;
      while (answer.status !== 200 && Date.now() < deadline) {
        await sleep(200);
        answer = await detect();
      }
      expect(answer.status).toBe(200);
      expect(endpointOf(gateway, b)).toMatchObject({ healthy: true, breaker: 'closed' });
      expect(
        await scrapeMetric(gateway, 'gateway_breaker_transitions_total', {
          backend: 'triton',
          endpoint: b,
          from: 'half_open',
          to: 'closed',
        }),
      ).toBe(1);
    } finally {
      await load?.stop();
      client.close();
      await gateway.close();
    }
  }, 180_000);
});
