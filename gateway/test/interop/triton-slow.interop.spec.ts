/**
 * A backend made slow: a real NVIDIA Triton frozen (SIGSTOP to its server process) under
 * closed-loop load over gRPC and REST. Frozen is the worst case of slow: its connections stay open
 * and nothing answers, not even health checks. Every request still ends by its deadline, with 504 /
 * DEADLINE_EXCEEDED, 503 / UNAVAILABLE or 429 / RESOURCE_EXHAUSTED (admission refusing at once what
 * would queue behind the frozen calls) + a retry delay, and nothing else; the gateway's own Triton
 * timeouts open the endpoint's circuit breaker, so requests then fail at once instead of waiting;
 * resumed (SIGCONT), the endpoint is probed, its breaker closes and requests succeed again, with the
 * same gateway and nothing leaked. With two Tritons, the load moves to the one that answers.
 *
 * State is read from the gateway's /metrics and backend, never inferred from timings. The load's
 * gRPC calls carry no deadline of their own (the gateway applies GATEWAY_DEFAULT_TIMEOUT_MS) and
 * both loads give up only after a watchdog well past the deadline, so a request the gateway never
 * answers is recorded as hung and fails the test.
 */
import { readFileSync } from 'node:fs';
import { status, type ServiceError } from '@grpc/grpc-js';
import { GRPCInferenceService } from '@contracts/generated/inference/grpc_service_pb';
import { AdmitStage } from '../../src/admission/admit.stage';
import {
  authHeaders,
  grpcClient,
  sampleImage,
  startTestGateway,
  type TestGateway,
} from '../test-gateway';
import {
  HUNG,
  startDetectLoad,
  startModelInferLoad,
  type ClosedLoopLoad,
  type HttpFailure,
  type Outcome,
} from './closed-loop-load';
import { scrapeMetric } from '../prometheus-text';
import { endpointOf, tritonBackendOf } from './triton-endpoint-state';
import {
  groupMembers,
  startTritonServer,
  withoutTriton,
  type RunningTriton,
} from './triton-server';
import { until } from '../wait-until';

/**
 * The gateway's own deadline of each Triton call, shorter than the callers' deadline so that its
 * timeouts count against the endpoint. Several times a call's latency under this load (about
 * 300 ms on two shared cores), so a busy machine does not time out a healthy Triton.
 */
const TRITON_TIMEOUT_MS = 1500;
/** The callers' deadline: X-Request-Timeout on REST, the gateway's default on gRPC. */
const DEADLINE_MS = 3000;
/** Past the deadline by this much, a request counts as hung (scheduling slack, not a timing claim). */
const HANG_SLACK_MS = 1500;
const WATCHDOG_MS = DEADLINE_MS + HANG_SLACK_MS;

const GATEWAY_ENV = {
  TRITON_TIMEOUT_MS: String(TRITON_TIMEOUT_MS),
  GATEWAY_DEFAULT_TIMEOUT_MS: String(DEADLINE_MS),
  // A frozen Triton costs one timed-out call per caller (or per batch, where the gateway batches)
  // every TRITON_TIMEOUT_MS; once the calls answered before the freeze have left the window, they
  // outnumber them: the breaker opens about 4.5 s after the freeze.
  GATEWAY_BREAKER_VOLUME_THRESHOLD: '3',
  GATEWAY_BREAKER_WINDOW_MS: '5000',
  GATEWAY_BREAKER_RESET_MS: '1000',
  // Two health checks in a row must time out before a frozen endpoint is taken out of the pool:
  // at least 7.5 s after the freeze, so the breaker finds it first, from inference calls.
  TRITON_HEALTH_INTERVAL_MS: '6000',
};

/**
 * The tritonserver process of a Triton's process group. Only it is frozen: the interop Triton runs
 * its ONNX models on the Python backend, whose server side declares a frozen stub process unhealthy
 * and then crashes (SIGSEGV in libtriton_python.so) once it runs again, while a production Triton
 * runs ONNX Runtime inside the server process. Frozen alone, the server recovers cleanly.
 */
function tritonServerPid(triton: RunningTriton): number {
  if (triton.pid === undefined) throw new Error(`Triton ${triton.grpcAddress} is not running`);
  const server = groupMembers(triton.pid).find(
    (pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'tritonserver',
  );
  if (server === undefined) throw new Error(`no tritonserver process in group ${triton.pid}`);
  return server;
}

/** SIGSTOP / SIGCONT to a Triton's server process. */
function signalTriton(triton: RunningTriton, signal: 'SIGSTOP' | 'SIGCONT'): void {
  process.kill(tritonServerPid(triton), signal);
}

/**
 * Cleanup, SIGCONT to the whole group (harmless to members that are not stopped): a frozen Triton
 * would sit out stop()'s SIGTERM until the grace period ran out.
 */
function resumeQuietly(triton: RunningTriton | undefined): void {
  if (triton?.pid === undefined) return;
  try {
    process.kill(-triton.pid, 'SIGCONT');
  } catch {
    // already gone
  }
}

const elapsed = (outcome: Outcome<unknown>): number => outcome.endedAt - outcome.startedAt;
const RETRY_DELAY = /^[1-9]\d*$/;

/** What is wrong with one gRPC outcome, or undefined: a hang bound and the allowed failures. */
function grpcProblem(outcome: Outcome<ServiceError>, frozenAt: number): string | undefined {
  const { error } = outcome;
  const took = elapsed(outcome);
  if (took > WATCHDOG_MS || error?.details === HUNG) return `hung: no answer after ${took} ms`;
  if (!error) return undefined;
  const what = `${status[error.code]} after ${took} ms: ${error.details}`;
  if (outcome.endedAt < frozenAt) return `failed before the freeze: ${what}`;
  if (error.code === status.DEADLINE_EXCEEDED) return undefined;
  // 503 from the breaker or the pool; 429 from admission, refusing at once the calls that would
  // wait past their queue target behind the frozen ones. Both say when to come back.
  if (error.code === status.UNAVAILABLE || error.code === status.RESOURCE_EXHAUSTED) {
    const retryAfter = error.metadata.get('retry-after-ms');
    return retryAfter.length === 1 && RETRY_DELAY.test(String(retryAfter[0]))
      ? undefined
      : `without retry-after-ms: ${what}`;
  }
  return `neither DEADLINE_EXCEEDED, UNAVAILABLE nor RESOURCE_EXHAUSTED: ${what}`;
}

/** What is wrong with one REST outcome, or undefined. */
function httpProblem(outcome: Outcome<HttpFailure>, frozenAt: number): string | undefined {
  const { error } = outcome;
  const took = elapsed(outcome);
  if (took > WATCHDOG_MS || error?.status === 0) return `hung: no answer after ${took} ms`;
  if (!error) return undefined;
  const what = `${error.status} after ${took} ms: ${error.body}`;
  if (outcome.endedAt < frozenAt) return `failed before the freeze: ${what}`;
  const code = (JSON.parse(error.body) as { error?: { code?: string } }).error?.code;
  if (error.status === 504 && code === 'deadline_exceeded') return undefined;
  if (
    (error.status === 503 && code === 'unavailable') ||
    (error.status === 429 && code === 'resource_exhausted')
  ) {
    return RETRY_DELAY.test(error.retryAfter ?? '') ? undefined : `without Retry-After: ${what}`;
  }
  return `neither 504 deadline_exceeded, 503 unavailable nor 429 resource_exhausted: ${what}`;
}

function problems<E>(
  outcomes: readonly Outcome<E>[],
  problem: (outcome: Outcome<E>, frozenAt: number) => string | undefined,
  frozenAt: number,
): string[] {
  return outcomes.flatMap((outcome) => problem(outcome, frozenAt) ?? []);
}

const grpcMessage = (outcome: Outcome<ServiceError>): string => outcome.error?.details ?? '';
const httpMessage = (outcome: Outcome<HttpFailure>): string => outcome.error?.body ?? '';

/** Requests of a load that started after `since` and failed / succeeded. */
const failedAfter = <E>(load: ClosedLoopLoad<E>, since: number): Outcome<E>[] =>
  load.outcomes.filter((outcome) => outcome.startedAt > since && outcome.error !== undefined);
const answeredAfter = <E>(load: ClosedLoopLoad<E>, since: number): number =>
  load.outcomes.filter((outcome) => outcome.startedAt > since && outcome.error === undefined)
    .length;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Both front doors under closed-loop load: 2 gRPC ModelInfer and 2 REST detect callers. */
function startLoads(gateway: TestGateway, grpc: ReturnType<typeof grpcClient>) {
  return {
    grpc: startModelInferLoad(grpc, 2, { id: 'slow', watchdogMs: WATCHDOG_MS }),
    http: startDetectLoad(gateway.httpUrl, 2, {
      image: sampleImage('messi5.jpg'),
      headers: authHeaders(),
      timeoutMs: DEADLINE_MS,
      watchdogMs: WATCHDOG_MS,
    }),
  };
}

/** Nothing the freeze held is left once the load stopped: no call to Triton, no admission slot. */
function expectNothingHeld(gateway: TestGateway): void {
  expect(tritonBackendOf(gateway).outstandingCalls()).toBe(0);
  const stage = gateway.app.get(AdmitStage);
  // The model's version as admission knows it: resolved ('1'), or as the caller named it ('').
  const admissions = ['1', ''].flatMap((version) => {
    const admission = stage.admissionOf('nanodet', version);
    return admission
      ? [{ version, inFlight: admission.inFlightCount, queued: admission.queuedCount }]
      : [];
  });
  expect(admissions.length).toBeGreaterThan(0);
  expect(admissions.filter(({ inFlight, queued }) => inFlight > 0 || queued > 0)).toEqual([]);
}

/** Back in service: in the pool (a health round passed) with its breaker closed (a probe passed). */
function backInService(gateway: TestGateway, address: string): boolean {
  const endpoint = endpointOf(gateway, address);
  return endpoint.healthy && endpoint.breaker === 'closed';
}

describe('a Triton made slow (frozen) under load', () => {
  if (withoutTriton('the slow-backend interop spec')) return;

  let tritonA: RunningTriton | undefined;
  let tritonB: RunningTriton | undefined;

  beforeAll(async () => {
    [tritonA, tritonB] = await Promise.all([startTritonServer(), startTritonServer()]);
  }, 180_000);

  afterAll(async () => {
    resumeQuietly(tritonA);
    resumeQuietly(tritonB);
    await Promise.all([tritonA?.stop(), tritonB?.stop()]);
  });

  it('the only endpoint frozen: every request ends by its deadline with 504, 503 or 429, the breaker opens and fails fast; resumed, it closes and serves', async () => {
    const triton = tritonA!;
    const address = triton.grpcAddress;
    const gateway = await startTestGateway({ ...GATEWAY_ENV, TRITON_GRPC_URLS: address });
    const client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    const transitions = (from: string, to: string) =>
      scrapeMetric(gateway, 'gateway_breaker_transitions_total', {
        backend: 'triton',
        endpoint: address,
        from,
        to,
      });
    let loads: ReturnType<typeof startLoads> | undefined;
    try {
      await until(
        () => tritonBackendOf(gateway).isModelReady('nanodet', ''),
        'nanodet ready through the gateway',
      );
      const { grpc, http } = (loads = startLoads(gateway, client));
      await until(() => grpc.successes() >= 8 && http.successes() >= 8, 'warm-up answers');

      // Freeze while a call is on the wire (sent, not yet answered).
      await until(() => endpointOf(gateway, address).outstanding >= 1, 'a call on the wire');
      signalTriton(triton, 'SIGSTOP');
      const frozenAt = Date.now();
      // The gateway's own timeouts (TRITON_TIMEOUT_MS) are the failures that open it.
      await until(() => endpointOf(gateway, address).breaker === 'open', 'breaker open', 30_000);
      expect(endpointOf(gateway, address).healthy).toBe(true);
      const openedAt = Date.now();
      await until(
        () => failedAfter(grpc, openedAt).length >= 8 && failedAfter(http, openedAt).length >= 8,
        'requests refused while the breaker is open',
      );
      // Then two health checks in a row time out: out of the pool as well.
      await until(() => !endpointOf(gateway, address).healthy, 'taken out by health checks');
      const ejectedAt = Date.now();
      await until(
        () => failedAfter(grpc, ejectedAt).length >= 4 && failedAfter(http, ejectedAt).length >= 4,
        'requests refused while out of the pool',
      );
      // Probes to the frozen server never closed the breaker.
      expect(await transitions('half_open', 'closed')).toBe(0);

      signalTriton(triton, 'SIGCONT');
      // A health round passes, the breaker is half-open, the next call is the probe: no restart.
      // (A probe still on the wire when the server was taken out may close the breaker first; the
      // endpoint takes calls again only once a health round passes.)
      await until(() => backInService(gateway, address), 'back in service');
      const backAt = Date.now();
      await until(
        () => answeredAfter(grpc, backAt) >= 4 && answeredAfter(http, backAt) >= 4,
        'answers again',
      );
      const [grpcOutcomes, httpOutcomes] = await Promise.all([grpc.stop(), http.stop()]);

      // Every request ended by its deadline, failed only with 504 or 503 + a retry delay.
      expect(problems(grpcOutcomes, grpcProblem, frozenAt)).toEqual([]);
      expect(problems(httpOutcomes, httpProblem, frozenAt)).toEqual([]);
      // What each phase answered, on both doors: the gateway's timeout, the breaker, the pool.
      const ownTimeout = `Triton endpoint ${address} did not answer within ${TRITON_TIMEOUT_MS} ms`;
      const breakerOpen =
        "every Triton endpoint serving model 'nanodet' has its circuit breaker open";
      const outOfPool = "no healthy Triton endpoint for model 'nanodet'";
      for (const text of [ownTimeout, breakerOpen, outOfPool]) {
        expect(grpcOutcomes.some((outcome) => grpcMessage(outcome).includes(text))).toBe(true);
        expect(httpOutcomes.some((outcome) => httpMessage(outcome).includes(text))).toBe(true);
      }
      // Refused at once while open, not at a timeout: the typical refusal is far below it (some
      // wait behind the call that opened the breaker or behind a probe).
      const refusals = [
        ...grpcOutcomes.filter((outcome) => grpcMessage(outcome).includes(breakerOpen)),
        ...httpOutcomes.filter((outcome) => httpMessage(outcome).includes(breakerOpen)),
      ];
      expect(median(refusals.map(elapsed))).toBeLessThan(TRITON_TIMEOUT_MS / 2);
      expect(
        await scrapeMetric(gateway, 'gateway_breaker_fast_fails_total', {
          backend: 'triton',
          model: 'nanodet',
        }),
      ).toBeGreaterThanOrEqual(refusals.length);
      // Since it is back, nothing failed.
      expect([...failedAfter(grpc, backAt), ...failedAfter(http, backAt)]).toEqual([]);

      expect(await transitions('closed', 'open')).toBe(1);
      expect(await transitions('open', 'half_open')).toBeGreaterThanOrEqual(1);
      expect(await transitions('half_open', 'closed')).toBe(1);
      expect(
        await scrapeMetric(gateway, 'gateway_breaker_state', {
          backend: 'triton',
          endpoint: address,
        }),
      ).toBe(0);
      expectNothingHeld(gateway);
      const ready = await fetch(`${gateway.httpUrl}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      resumeQuietly(triton);
      await Promise.all([loads?.grpc.stop(), loads?.http.stop()]);
      client.close();
      await gateway.close();
    }
  }, 180_000);

  it('one of two endpoints frozen: the other answers the load, only calls caught on the frozen one fail, by their deadline', async () => {
    const frozen = tritonB!;
    const other = tritonA!;
    const address = frozen.grpcAddress;
    const gateway = await startTestGateway({
      ...GATEWAY_ENV,
      TRITON_GRPC_URLS: `${other.grpcAddress},${address}`,
    });
    const client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    const transitions = (endpoint: string, from: string, to: string) =>
      scrapeMetric(gateway, 'gateway_breaker_transitions_total', {
        backend: 'triton',
        endpoint,
        from,
        to,
      });
    let loads: ReturnType<typeof startLoads> | undefined;
    try {
      await until(
        () =>
          tritonBackendOf(gateway).isModelReady('nanodet', '') &&
          endpointOf(gateway, address).healthy &&
          endpointOf(gateway, other.grpcAddress).healthy,
        'nanodet ready on both endpoints',
      );
      const { grpc, http } = (loads = startLoads(gateway, client));
      await until(() => grpc.successes() >= 8 && http.successes() >= 8, 'warm-up answers');

      await until(() => endpointOf(gateway, address).outstanding >= 1, 'a call on the wire');
      signalTriton(frozen, 'SIGSTOP');
      const frozenAt = Date.now();
      await until(() => endpointOf(gateway, address).breaker === 'open', 'breaker open', 30_000);
      const openedAt = Date.now();
      await until(
        () => answeredAfter(grpc, openedAt) >= 12 && answeredAfter(http, openedAt) >= 12,
        'the other endpoint answering the load',
      );

      signalTriton(frozen, 'SIGCONT');
      const resumedAt = Date.now();
      await until(() => backInService(gateway, address), 'back in service');
      const backAt = Date.now();
      await until(
        () => answeredAfter(grpc, backAt) >= 4 && answeredAfter(http, backAt) >= 4,
        'answers once back in service',
      );
      const [grpcOutcomes, httpOutcomes] = await Promise.all([grpc.stop(), http.stop()]);

      expect(problems(grpcOutcomes, grpcProblem, frozenAt)).toEqual([]);
      expect(problems(httpOutcomes, httpProblem, frozenAt)).toEqual([]);
      // The only failures: calls caught on the frozen endpoint, at the gateway's timeout or the
      // caller's deadline; never a refusal, since the other endpoint always took calls.
      const caught = (message: string) =>
        message.includes(`Triton endpoint ${address} did not answer`) ||
        message.includes('deadline passed');
      expect(
        grpcOutcomes
          .filter((outcome) => outcome.error && !caught(grpcMessage(outcome)))
          .map(grpcMessage),
      ).toEqual([]);
      expect(
        httpOutcomes
          .filter((outcome) => outcome.error && !caught(httpMessage(outcome)))
          .map(httpMessage),
      ).toEqual([]);
      // Once open, a request fails only when it was a probe of the frozen endpoint, which failed and
      // opened the breaker again (or was in a probe's batch, of the 4 callers at most, where the
      // gateway batches).
      const startedWhileOpen = (outcome: Outcome<unknown>) =>
        outcome.error !== undefined &&
        outcome.startedAt > openedAt &&
        outcome.startedAt < resumedAt;
      expect(
        grpcOutcomes.filter(startedWhileOpen).length + httpOutcomes.filter(startedWhileOpen).length,
      ).toBeLessThanOrEqual(4 * (await transitions(address, 'half_open', 'open')));
      expect([...failedAfter(grpc, backAt), ...failedAfter(http, backAt)]).toEqual([]);

      expect(await transitions(address, 'closed', 'open')).toBe(1);
      expect(await transitions(address, 'half_open', 'closed')).toBe(1);
      expect(await transitions(other.grpcAddress, 'closed', 'open')).toBe(0);
      expect(endpointOf(gateway, other.grpcAddress)).toMatchObject({
        healthy: true,
        breaker: 'closed',
      });
      expectNothingHeld(gateway);
    } finally {
      resumeQuietly(frozen);
      await Promise.all([loads?.grpc.stop(), loads?.http.stop()]);
      client.close();
      await gateway.close();
    }
  }, 180_000);
});
