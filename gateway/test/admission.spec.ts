/**
 * Deadlines, bounded admission, priorities and caller cancellation through a real gateway (embedded
 * ONNX Runtime backend): what a caller sees on the wire (504 / DEADLINE_EXCEEDED, 429 /
 * RESOURCE_EXHAUSTED with Retry-After, 400 for a malformed X-Request-Timeout) and, through the
 * gateway's own metrics, that refused requests never reached the backend.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { status, type Client, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { GRPCInferenceService } from '@contracts/generated/inference/grpc_service_pb';
import { AdmitStage } from '../src/admission/admit.stage';
import type { ModelAdmission } from '../src/admission/model-admission';
import { GatewayMetrics } from '../src/metrics/gateway-metrics';
import {
  NANODET_INPUT_SIZE,
  nanodetBinaryInferBody,
  nanodetInferRequest,
} from './nanodet-reference';
import {
  authHeaders,
  grpcClient,
  sampleImage,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from './test-gateway';
import { until } from './wait-until';

/** A REST answer, read to the end. */
interface Reply {
  status: number;
  retryAfter: string | null;
  /** The KServe error message, for anything but 200. */
  error?: string;
}

/** Sum of a metric's samples whose labels include `labels` (counters, gauges, histogram counts). */
async function metricValue(
  gateway: TestGateway,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const registry = gateway.app.get(GatewayMetrics).registry;
  const metric =
    registry.getSingleMetric(name) ??
    registry.getSingleMetric(name.replace(/_(count|sum|bucket)$/, ''));
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return (
    values
      // A histogram lists its _bucket, _sum and _count samples under one metric.
      .filter((sample) => ((sample as { metricName?: string }).metricName ?? name) === name)
      .filter((sample) =>
        Object.entries(labels).every(([key, value]) => String(sample.labels[key]) === value),
      )
      .reduce((sum, sample) => sum + sample.value, 0)
  );
}

/** Calls that reached the backend: the call-backend stage times every one of them. */
const backendCalls = (gateway: TestGateway) =>
  metricValue(gateway, 'gateway_inference_duration_seconds_count', { model: 'nanodet' });

/** Polls `condition` every 5 ms; fails the test when it does not hold within `ms`. */

describe('admission: deadlines, bounded queue, priorities, cancellation (embedded backend)', () => {
  let gateway: TestGateway;
  let kserve: Client & Record<string, unknown>;
  let admission: () => ModelAdmission;
  const url = (path: string) => `${gateway.httpUrl}${path}`;

  /**
   * A REST infer, answer read to the end: an unread body keeps its connection open, and the
   * gateway's close would wait for it.
   */
  const infer = async (
    batch: number,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Reply> => {
    const { body, headers: bodyHeaders } = nanodetBinaryInferBody(
      seededFloats(batch * NANODET_INPUT_SIZE, batch),
      batch,
    );
    const response = await fetch(url('/v2/models/nanodet/infer'), {
      method: 'POST',
      headers: { ...authHeaders(), ...bodyHeaders, ...headers },
      body,
      signal,
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const error =
      response.status === 200
        ? undefined
        : (JSON.parse(bytes.toString()) as { error: string }).error;
    return { status: response.status, retryAfter: response.headers.get('retry-after'), error };
  };

  /** gRPC ModelInfer with call options (deadline); resolves to the error, or undefined on success. */
  const grpcInfer = (batch: number, options: { deadline?: number } = {}) =>
    new Promise<ServiceError | undefined>((resolve) => {
      const request = nanodetInferRequest(seededFloats(batch * NANODET_INPUT_SIZE, 7), batch, {
        id: 'admission',
      });
      const method = kserve.modelInfer as (
        request: unknown,
        options: object,
        callback: (error: ServiceError | null) => void,
      ) => void;
      method.call(kserve, request, options, (error) => resolve(error ?? undefined));
    });

  /** Takes the model's only slot with a batch of 8 images; `running` is its answer. */
  const occupySlot = async (signal?: AbortSignal): Promise<{ running: Promise<Reply> }> => {
    const running = infer(8, {}, signal);
    await until(() => admission().inFlightCount === 1, 'the batch of 8 is in flight', 20_000);
    return { running };
  };

  beforeAll(async () => {
    gateway = await startTestGateway({
      GATEWAY_MAX_IN_FLIGHT_PER_MODEL: '1',
      GATEWAY_MAX_QUEUE_PER_MODEL: '1',
      // These tests are about the bounded queue itself: a fixed limit and no wait target.
      GATEWAY_ADMISSION_LIMIT: 'fixed',
      GATEWAY_ADMISSION_QUEUE_TARGET_MS: '0',
      // ONNX Runtime's threads spin while they run: with one of them, the event loop keeps a core
      // on a 2-core machine, and requests sent while the batch of 8 runs arrive while it runs.
      ORT_INTRA_OP_THREADS: '1',
    });
    kserve = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    const stage = gateway.app.get(AdmitStage);
    admission = () => {
      const state = stage.admissionOf('nanodet', '1');
      if (!state) throw new Error('no admission state for nanodet 1 yet');
      return state;
    };
    // One answered request gives admission its first service-time estimate.
    expect((await infer(1)).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    kserve?.close();
    await gateway?.close();
  });

  it('refuses a malformed X-Request-Timeout with 400 naming the header and the value', async () => {
    const kserveReply = await infer(1, { 'x-request-timeout': 'soon' });
    expect(kserveReply.status).toBe(400);
    expect(kserveReply.error).toContain("x-request-timeout 'soon' is not a timeout");
    const detect = await fetch(url('/v1/models/nanodet/detect'), {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'image/jpeg', 'x-request-timeout': '1.5' },
      body: sampleImage('messi5.jpg'),
    });
    expect(detect.status).toBe(400);
    expect(await detect.json()).toEqual({
      error: {
        code: 'invalid_argument',
        message: expect.stringContaining("x-request-timeout '1.5' has a fraction"),
      },
    });
  });

  it('a deadline too short for the model gets 504 / DEADLINE_EXCEEDED without reaching the backend', async () => {
    const refusedForDeadline = async () =>
      (await metricValue(gateway, 'gateway_admission_expired_total', { reason: 'infeasible' })) +
      (await metricValue(gateway, 'gateway_admission_expired_total', { reason: 'on_arrival' }));
    const before = await backendCalls(gateway);
    const refusedBefore = await refusedForDeadline();

    const rest = await infer(1, { 'x-request-timeout': '1ms' });
    expect(rest.status).toBe(504);
    expect(rest.error).toMatch(
      /^the deadline (cannot be met|passed before model 'nanodet' version 1 was called)/,
    );
    const detect = await fetch(url('/v1/models/nanodet/detect'), {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'image/jpeg', 'x-request-timeout': '1ms' },
      body: sampleImage('messi5.jpg'),
    });
    expect(detect.status).toBe(504);
    expect(((await detect.json()) as { error: { code: string } }).error.code).toBe(
      'deadline_exceeded',
    );
    expect(await refusedForDeadline()).toBe(refusedBefore + 2);
    expect(await backendCalls(gateway)).toBe(before);
  });

  it('a generous deadline is met: the request is answered', async () => {
    const response = await infer(1, { 'x-request-timeout': '30s' });
    expect(response.status).toBe(200);
    expect(await grpcInfer(1, { deadline: Date.now() + 30_000 })).toBeUndefined();
  });

  it('beyond max in flight and max queue: 429 / RESOURCE_EXHAUSTED at once, with Retry-After', async () => {
    const { running } = await occupySlot();
    const queued = infer(1);
    await until(() => admission().queuedCount === 1, 'one request is queued', 20_000);
    const before = await backendCalls(gateway);

    const refused = await infer(1);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused.error).toMatch(
      /^model 'nanodet' version 1 is at capacity: max in flight \(1\) reached and its queue is full \(max queue 1\)/,
    );
    const grpc = await grpcInfer(1);
    expect(grpc?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect((grpc?.metadata as Metadata).get('retry-after-ms')).toEqual([
      expect.stringMatching(/^\d+$/),
    ]);
    expect(await backendCalls(gateway)).toBe(before);

    expect((await running).status).toBe(200);
    expect((await queued).status).toBe(200);
    expect(
      await metricValue(gateway, 'gateway_admission_shed_total', { reason: 'queue_full' }),
    ).toBe(2);
  });

  it('a full queue sheds a queued bulk request for an arriving real-time one', async () => {
    const { running } = await occupySlot();
    const bulk = infer(1, { 'x-priority': 'bulk' });
    await until(() => admission().queuedCount === 1, 'the bulk request is queued', 20_000);

    const realtime = infer(1, { 'x-priority': 'realtime' });
    const shed = await bulk;
    expect(shed.status).toBe(429);
    expect(shed.retryAfter).not.toBeNull();
    expect(shed.error).toMatch(
      /^shed for real-time traffic: the queue of model 'nanodet' version 1 was full/,
    );
    expect((await running).status).toBe(200);
    expect((await realtime).status).toBe(200);
    expect(
      await metricValue(gateway, 'gateway_admission_shed_total', {
        priority: 'bulk',
        reason: 'displaced',
      }),
    ).toBe(1);
  });

  it('a caller that goes away leaves the queue at once (HTTP and gRPC)', async () => {
    const before = await backendCalls(gateway);
    const held = await occupySlot();

    const controller = new AbortController();
    const abandoned = infer(1, {}, controller.signal).catch((error: Error) => error);
    await until(() => admission().queuedCount === 1, 'the HTTP request is queued', 20_000);
    controller.abort();
    expect(await abandoned).toBeInstanceOf(Error);
    await until(() => admission().queuedCount === 0, 'the queue is empty again', 5000);
    expect((await held.running).status).toBe(200);

    // The slot held again: on a busy machine the first batch may be done before a gRPC call
    // could queue behind it.
    const { running } = await occupySlot();
    const request = nanodetInferRequest(seededFloats(NANODET_INPUT_SIZE, 3), 1, { id: 'gone' });
    const call = (
      kserve.modelInfer as (
        r: unknown,
        cb: (e: ServiceError | null) => void,
      ) => {
        cancel(): void;
      }
    ).call(kserve, request, () => undefined);
    await until(() => admission().queuedCount === 1, 'the gRPC request is queued', 20_000);
    call.cancel();
    await until(() => admission().queuedCount === 0, 'the queue is empty again', 5000);

    expect((await running).status).toBe(200);
    expect(await backendCalls(gateway)).toBe(before + 2); // only the batches that held the slot
    expect(
      await metricValue(gateway, 'gateway_admission_cancelled_total', { where: 'queued' }),
    ).toBe(2);
    expect(admission().inFlightCount).toBe(0);
  });

  it('a caller that goes away while its request runs is answered at once; the slot is freed when the backend is done', async () => {
    const controller = new AbortController();
    const cancelledBefore = await metricValue(gateway, 'gateway_admission_cancelled_total', {
      where: 'in_flight',
    });
    const { running } = await occupySlot(controller.signal);
    controller.abort();
    expect(await running.catch((error: Error) => error)).toBeInstanceOf(Error);
    const counted = Date.now() + 10_000;
    let cancelled = cancelledBefore;
    while (cancelled === cancelledBefore && Date.now() < counted) {
      await sleep(10);
      cancelled = await metricValue(gateway, 'gateway_admission_cancelled_total', {
        where: 'in_flight',
      });
    }
    expect(cancelled).toBe(cancelledBefore + 1);
    // ONNX Runtime cannot stop mid-run: the slot is held until the run ends, then freed.
    await until(() => admission().inFlightCount === 0, 'the slot is free again', 20_000);
    expect((await infer(1)).status).toBe(200);
  });

  it('a request whose deadline passes (or cannot be met) behind a busy model gets 504 / DEADLINE_EXCEEDED and never reaches the backend', async () => {
    const expiredBeforeBackend = async () =>
      (await metricValue(gateway, 'gateway_admission_expired_total')) -
      (await metricValue(gateway, 'gateway_admission_expired_total', { reason: 'at_backend' }));
    const { running } = await occupySlot();
    const before = await backendCalls(gateway);
    const expiredBefore = await expiredBeforeBackend();

    const expired = await infer(1, { 'x-request-timeout': '300ms' });
    expect(expired.status).toBe(504);
    expect(expired.error).toMatch(/^the deadline /);
    // gRPC: the client's deadline (grpc-timeout) is what admission holds the request to; short, so
    // it passes while the batch of 8 still runs even on a busy machine.
    const grpc = await grpcInfer(1, { deadline: Date.now() + 200 });
    expect(grpc?.code).toBe(status.DEADLINE_EXCEEDED);
    const counted = Date.now() + 10_000;
    while ((await expiredBeforeBackend()) < expiredBefore + 2 && Date.now() < counted) {
      await sleep(10);
    }
    expect(await expiredBeforeBackend()).toBe(expiredBefore + 2);

    expect((await running).status).toBe(200);
    expect(await backendCalls(gateway)).toBe(before + 1); // only the batch that held the slot
  });
});
