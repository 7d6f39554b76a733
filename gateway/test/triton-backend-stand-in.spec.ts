/**
 * The Triton backend end to end, against a STAND-IN for Triton: another real gateway (embedded ONNX
 * Runtime backend) in a child process. A gateway is itself a KServe v2 gRPC server, so this is a
 * real server on a real socket, not a mock; like Triton it serves the model_repository extension,
 * so discovery lists its models with RepositoryIndex. The real-Triton counterpart is
 * test/interop/triton-backend.interop.spec.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  type ModelInferRequest,
  type ModelInferResponse,
  type ModelStreamInferResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import type { RunningGateway } from '../src/gateway-app';
import { TritonClient } from '../src/inference/triton/triton-client';
import { BatchStage } from '../src/batching/batch.stage';
import { startGatewayProcess, type GatewayProcess } from './gateway-process';
import {
  NANODET_INPUT_SIZE,
  NANODET_OUTPUTS,
  nanodetReference,
  nanodetInferRequest,
  rawOutputsOf,
} from './nanodet-reference';
import {
  authHeaders,
  callUnary,
  grpcClient,
  sampleImage,
  seededFloats,
  startTestGateway,
  TEST_API_KEY,
} from './test-gateway';

const inferRequest = (input: Float32Array, batch: number, id = 'stand-in'): ModelInferRequest =>
  nanodetInferRequest(input, batch, { id });

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { headers: authHeaders() });
  return { status: response.status, body: await response.json() };
}

async function detect(gateway: { httpUrl: string }) {
  const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
    body: sampleImage('messi5.jpg'),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** gRPC requests the gateway is working on, from its /metrics. */
async function upstreamInFlight(gateway: { httpUrl: string }): Promise<number> {
  const text = await (await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() })).text();
  const line = /^gateway_requests_in_flight\{protocol="grpc"\} (\d+)/m.exec(text);
  return line ? Number(line[1]) : 0;
}

/**
 * The stand-in plays Triton, which runs what it is sent: a fixed admission limit (its max in
 * flight), not one it learns, so calls reach it together as they would reach Triton.
 */
const STAND_IN = { GATEWAY_ADMISSION_LIMIT: 'fixed' };

describe('Triton backend against a stand-in Triton (a second gateway, embedded backend)', () => {
  let upstream: GatewayProcess;
  let downstream: RunningGateway;
  let kserve: Client & Record<string, unknown>;

  beforeAll(async () => {
    upstream = await startGatewayProcess(STAND_IN);
    downstream = await startTestGateway({
      TRITON_GRPC_URLS: upstream.grpcAddress,
      // The stand-in is a gateway: it wants a credential, as a Triton behind an auth proxy would.
      TRITON_API_KEY: TEST_API_KEY,
      // Far beyond how long any step here takes: failing "promptly" must not mean "at the deadline".
      TRITON_TIMEOUT_MS: '30000',
      TRITON_HEALTH_INTERVAL_MS: '250',
      // Calls reach the backend together (the mid-flight kill needs several there at once).
      GATEWAY_ADMISSION_LIMIT: 'fixed',
    });
    kserve = grpcClient(GRPCInferenceService, downstream.grpcAddress);
  });
  afterAll(async () => {
    kserve?.close();
    await downstream?.close();
    await upstream?.kill();
  });

  it('discovers nanodet without RepositoryIndex and serves the metadata and config upstream serves', async () => {
    expect(await getJson(`${downstream.httpUrl}/readyz`)).toEqual({
      status: 200,
      body: {
        status: 'ready',
        backend: 'triton',
        backendReady: true,
        models: ['appearance-mobilenetv2', 'nanodet'],
        unready: [],
      },
    });
    for (const path of ['/v2/models/nanodet', '/v2/models/nanodet/config']) {
      const [through, direct] = await Promise.all([
        getJson(`${downstream.httpUrl}${path}`),
        getJson(`${upstream.httpUrl}${path}`),
      ]);
      expect(through.status).toBe(200);
      expect(through).toEqual(direct);
    }
  });

  it('KServe ModelInfer through Triton returns exactly the tensors ONNX Runtime computes', async () => {
    const input = seededFloats(2 * NANODET_INPUT_SIZE, 31);
    const response = await callUnary<ModelInferResponse>(
      kserve,
      'modelInfer',
      inferRequest(input, 2),
    );
    expect(response).toMatchObject({ modelName: 'nanodet', modelVersion: '1', id: 'stand-in' });
    const reference = await nanodetReference(input, 2);
    const outputs = rawOutputsOf(response);
    for (const name of NANODET_OUTPUTS) expect(outputs[name]).toEqual(reference[name]);
    // GATEWAY_BATCHING=auto leaves batching to Triton's own batcher: no gateway batcher exists.
    expect(downstream.app.get(BatchStage).batcherOf('nanodet', '1')).toBeUndefined();
  });

  it('detect finds exactly what the upstream gateway finds itself (labels from the local repository)', async () => {
    const [through, direct] = await Promise.all([detect(downstream), detect(upstream)]);
    expect(through.status).toBe(200);
    expect(through.body.detections).toEqual(direct.body.detections);
    expect(through.body.detections).toContainEqual(expect.objectContaining({ label: 'person' }));
  });

  it('unknown models and bad requests keep their status through the Triton backend', async () => {
    const unknown = await callUnary(kserve, 'modelInfer', {
      ...inferRequest(new Float32Array(NANODET_INPUT_SIZE), 1),
      modelName: 'yolo',
    }).catch((error: ServiceError) => error);
    expect(unknown).toMatchObject({ code: status.NOT_FOUND, details: "unknown model 'yolo'" });
  });

  describe('TritonClient on the stand-in', () => {
    let client: TritonClient;
    beforeAll(() => {
      client = new TritonClient(upstream.grpcAddress, {
        timeoutMs: 30_000,
        maxMessageBytes: 64 * 1024 * 1024,
        maxReconnectBackoffMs: 1000,
        apiKey: TEST_API_KEY,
      });
    });
    afterAll(() => client.close());

    it('ModelStreamInfer answers each request in order', async () => {
      const input = seededFloats(NANODET_INPUT_SIZE, 41);
      const stream = client.modelStreamInfer();
      const responses: ModelStreamInferResponse[] = [];
      const done = new Promise<void>((resolve, reject) => {
        stream.on('data', (response: ModelStreamInferResponse) => responses.push(response));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      stream.write(inferRequest(input, 1, 'first'));
      stream.write({ ...inferRequest(input, 1, 'second'), modelName: 'yolo' });
      stream.end();
      await done;
      expect(responses.map((response) => response.errorMessage)).toEqual([
        '',
        "unknown model 'yolo'",
      ]);
      expect(rawOutputsOf(responses[0].inferResponse!).reg_s16).toEqual(
        (await nanodetReference(input, 1)).reg_s16,
      );
    });

    it('RepositoryIndex of a gateway lists its models as Triton does', async () => {
      const index = await client.repositoryIndex({ ready: true });
      expect(index.map(({ name, version, state }) => ({ name, version, state }))).toEqual([
        { name: 'appearance-mobilenetv2', version: '1', state: 'READY' },
        { name: 'nanodet', version: '1', state: 'READY' },
      ]);
    });

    it('every call has a deadline and can be cancelled by its caller', async () => {
      const input = seededFloats(8 * NANODET_INPUT_SIZE, 51);
      await expect(
        client.modelInfer(inferRequest(input, 8), { timeoutMs: 5 }),
      ).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
      const controller = new AbortController();
      const call = client.modelInfer(inferRequest(input, 8), { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      await expect(call).rejects.toMatchObject({ code: status.CANCELLED });
      await expect(client.serverReady({ signal: AbortSignal.abort() })).rejects.toMatchObject({
        code: status.CANCELLED,
      });
    });
  });

  it('upstream killed mid-flight: every call ends promptly with UNAVAILABLE/503, and a new upstream on the same port is used without a restart', async () => {
    const address = upstream.grpcAddress;
    const port = address.slice(address.lastIndexOf(':') + 1);
    const input = seededFloats(8 * NANODET_INPUT_SIZE, 61);
    // Batches of 8 queue behind each other on the stand-in's single model instance.
    const inFlight = [1, 2, 3, 4].map(() =>
      callUnary<ModelInferResponse>(kserve, 'modelInfer', inferRequest(input, 8)).then(
        () => ({ ok: true as const, at: Date.now() }),
        (error: ServiceError) => ({ ok: false as const, at: Date.now(), error }),
      ),
    );
    // Kill once the stand-in holds some of them (its own in-flight gauge says so).
    while ((await upstreamInFlight(upstream)) < 2) {
      await sleep(20);
    }
    const killedAt = Date.now();
    await upstream.kill();

    // Calls on the wire to the killed server fail with the transport error; any the backend had
    // not sent yet find the endpoint already out. Either way: UNAVAILABLE, naming the endpoint.
    const outcomes = await Promise.all(inFlight);
    const failures = outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome]));
    expect(failures.map((failure) => failure.error.details)).toContainEqual(
      expect.stringMatching(new RegExp(`^Triton endpoint ${address} unavailable: `)),
    );
    for (const failure of failures) {
      expect(failure.error).toMatchObject({
        code: status.UNAVAILABLE,
        details: expect.stringContaining(address),
      });
      expect(failure.at - killedAt).toBeLessThan(3000);
    }

    // New calls fail at once (the endpoint is out), on every front door, and nothing claims 404.
    const started = Date.now();
    const one = input.subarray(0, NANODET_INPUT_SIZE);
    const fresh = await callUnary(kserve, 'modelInfer', inferRequest(one, 1)).catch(
      (error: ServiceError) => error,
    );
    expect(fresh).toMatchObject({
      code: status.UNAVAILABLE,
      details: expect.stringContaining("no healthy Triton endpoint for model 'nanodet'"),
    });
    const rest = await detect(downstream);
    expect(rest.status).toBe(503);
    expect(rest.body.error).toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining("no healthy Triton endpoint for model 'nanodet'"),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await fetch(`${downstream.httpUrl}/readyz`)).status).toBe(503);

    // Triton comes back at the same address: the health checks notice, no restart needed.
    upstream = await startGatewayProcess({ ...STAND_IN, GATEWAY_GRPC_PORT: port });
    const deadline = Date.now() + 20_000;
    let response: ModelInferResponse | ServiceError;
    do {
      await sleep(250);
      response = await callUnary<ModelInferResponse>(
        kserve,
        'modelInfer',
        inferRequest(one, 1),
      ).catch((error: ServiceError) => error);
    } while (response instanceof Error && Date.now() < deadline);
    expect(response).not.toBeInstanceOf(Error);
    const reference = await nanodetReference(one, 1);
    expect(rawOutputsOf(response as ModelInferResponse).cls_s8).toEqual(reference.cls_s8);
    expect((await fetch(`${downstream.httpUrl}/readyz`)).status).toBe(200);
  });
});
