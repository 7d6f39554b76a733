/**
 * The gateway in front of a real NVIDIA Triton Inference Server (TRITON_GRPC_URLS → TritonBackend):
 * discovery through Triton's RepositoryIndex, metadata and config as Triton reports them, NVIDIA's
 * own tritonclient through the gateway with every tensor bit-identical to ONNX Runtime in Node (as
 * triton-direct.interop.spec.ts establishes Triton itself is), and Triton killed mid-load and
 * restarted under a running gateway.
 */
import { create } from '@bufbuild/protobuf';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GRPCInferenceService,
  InferParameterSchema,
  ModelConfigRequestSchema,
  ModelInferRequestSchema,
  ModelMetadataRequestSchema,
  type ModelConfigResponse,
  type ModelInferRequest,
  type ModelInferResponse,
  type ModelMetadataResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import type { RunningGateway } from '../../src/gateway-app';
import { INFERENCE_BACKEND, type InferenceBackend } from '../../src/request-path/inference-backend';
import { TritonClient } from '../../src/inference/triton/triton-client';
import type { TritonBackend } from '../../src/inference/triton/triton.backend';
import { readNpyFloat32, writeNpyFloat32 } from '../conformance/npy';
import {
  NANODET_INPUT_SIZE,
  NANODET_OUTPUTS,
  nanodetReference,
  nanodetInferRequest,
  rawOutputsOf,
} from '../nanodet-reference';
import {
  authHeaders,
  callUnary,
  grpcClient,
  REPO_ROOT,
  sampleImage,
  seededFloats,
  startTestGateway,
  TEST_API_KEY,
} from '../test-gateway';
import {
  startTritonServer,
  TRITON_PYTHON,
  withoutTriton,
  type RunningTriton,
} from './triton-server';
import { OUTPUT_DIMS, ok, type ClientSummary } from '../conformance/tritonclient-summary';
import { extractVideoFrames } from '@test-support';
import { openTrackStream, streamConfig } from '../streams/track-client';

const script = join(REPO_ROOT, 'gateway/test/conformance/tritonclient_conformance.py');
const SEED = 20260611;

const inferRequest = (input: Float32Array, batch: number, id = 'over-triton'): ModelInferRequest =>
  nanodetInferRequest(input, batch, { id });

async function detect(httpUrl: string) {
  const response = await fetch(`${httpUrl}/v1/models/nanodet/detect`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
    body: sampleImage('messi5.jpg'),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the gateway in front of a real Triton Inference Server (Triton backend)', () => {
  if (withoutTriton('the gateway-over-Triton interop spec')) return;

  let triton: RunningTriton;
  let gateway: RunningGateway;
  let kserve: Client & Record<string, unknown>;
  let direct: TritonClient;

  beforeAll(async () => {
    triton = await startTritonServer();
    gateway = await startTestGateway({
      TRITON_GRPC_URLS: triton.grpcAddress,
      // Far beyond any step here: failing "promptly" must not mean "at the deadline".
      TRITON_TIMEOUT_MS: '30000',
      TRITON_HEALTH_INTERVAL_MS: '500',
    });
    kserve = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    direct = new TritonClient(triton.grpcAddress, {
      timeoutMs: 30_000,
      maxMessageBytes: 64 * 1024 * 1024,
      maxReconnectBackoffMs: 1000,
    });
  }, 120_000);

  afterAll(async () => {
    direct?.close();
    kserve?.close();
    await gateway?.close();
    await triton?.stop();
  });

  it("discovers nanodet with RepositoryIndex and serves Triton's own metadata and config", async () => {
    const readyz = await fetch(`${gateway.httpUrl}/readyz`);
    expect(await readyz.json()).toEqual({
      status: 'ready',
      backend: 'triton',
      backendReady: true,
      models: ['appearance-mobilenetv2', 'nanodet'],
      unready: [],
    });
    expect(await direct.repositoryIndex({ ready: true })).toEqual([
      expect.objectContaining({ name: 'appearance-mobilenetv2', version: '1', state: 'READY' }),
      expect.objectContaining({ name: 'nanodet', version: '1', state: 'READY' }),
    ]);

    const request = { name: 'nanodet', version: '' };
    const [throughMetadata, tritonMetadata] = await Promise.all([
      callUnary<ModelMetadataResponse>(
        kserve,
        'modelMetadata',
        create(ModelMetadataRequestSchema, request),
      ),
      direct.modelMetadata('nanodet'),
    ]);
    expect(throughMetadata).toEqual(tritonMetadata);
    const [throughConfig, tritonConfig] = await Promise.all([
      callUnary<ModelConfigResponse>(
        kserve,
        'modelConfig',
        create(ModelConfigRequestSchema, request),
      ),
      direct.modelConfig('nanodet'),
    ]);
    expect(throughConfig.config).toEqual(tritonConfig);

    // What only the gateway adds: labels from its local repository copy, vision parameters.
    const metadata = gateway.app
      .get<InferenceBackend>(INFERENCE_BACKEND)
      .resolve('nanodet', '').metadata;
    expect(metadata).toMatchObject({
      platform: 'python',
      maxBatchSize: 8,
      parameters: { 'vision.decoder': 'nanodet-gfl', 'vision.resize': 'letterbox' },
    });
    expect(metadata.labels).toHaveLength(80);
    expect(metadata.labels?.[0]).toBe('person');
  });

  it('NVIDIA tritonclient through the gateway: readiness, metadata, infer and stream, bit-identical', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'gateway-over-triton-'));
    try {
      const input = seededFloats(2 * NANODET_INPUT_SIZE, SEED);
      writeNpyFloat32(join(outDir, 'input.npy'), input, [2, 3, 416, 416]);
      const http = gateway.httpUrl.replace(/^http:\/\//, '');
      await promisify(execFile)(
        TRITON_PYTHON,
        [
          script,
          '--http',
          http,
          '--grpc',
          gateway.grpcAddress,
          '--input',
          join(outDir, 'input.npy'),
        ].concat(['--out', outDir, '--api-key', TEST_API_KEY]),
        { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      );
      const summary = JSON.parse(
        readFileSync(join(outDir, 'summary.json'), 'utf8'),
      ) as ClientSummary;
      const tritonMetadata = await direct.modelMetadata('nanodet');
      for (const protocol of ['http', 'grpc'] as const) {
        expect(ok(summary[protocol].ready, `${protocol} is_server_ready`)).toBe(true);
        expect(ok(summary[protocol].model_ready, `${protocol} is_model_ready`)).toBe(true);
        expect(ok(summary[protocol].model_metadata, `${protocol} get_model_metadata`)).toEqual({
          name: 'nanodet',
          versions: ['1'],
          platform: tritonMetadata.platform,
          inputs: [{ name: 'images', datatype: 'FP32', shape: [-1, 3, 416, 416] }],
          outputs: NANODET_OUTPUTS.map((name) => ({
            name,
            datatype: 'FP32',
            shape: [-1, ...OUTPUT_DIMS[name]],
          })),
        });
        expect(summary[protocol].errors.unknown_model).toMatchObject({
          exception: { status: protocol === 'http' ? '404' : 'StatusCode.NOT_FOUND' },
        });
      }

      const batch = await nanodetReference(input, 2);
      const sample0 = await nanodetReference(input.slice(0, NANODET_INPUT_SIZE), 1);
      const sample1 = await nanodetReference(input.slice(NANODET_INPUT_SIZE), 1);
      const differing: string[] = [];
      const compare = (path: string, expected: Record<string, Float32Array>, size: number) => {
        for (const name of NANODET_OUTPUTS) {
          const { shape, data } = readNpyFloat32(join(outDir, `${path}.${name}.npy`));
          const want = expected[name];
          const same =
            JSON.stringify(shape) === JSON.stringify([size, ...OUTPUT_DIMS[name]]) &&
            Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(
              Buffer.from(want.buffer, want.byteOffset, want.byteLength),
            );
          if (!same) differing.push(`${path}.${name}`);
        }
      };
      for (const path of ['http_binary', 'http_json', 'grpc'] as const) {
        const protocol = path === 'grpc' ? 'grpc' : 'http';
        expect(ok(summary[protocol].infer[path], path)).toMatchObject({
          model_name: 'nanodet',
          model_version: '1',
        });
        compare(path, batch, 2);
      }
      const stream = ok(summary.grpc.stream, 'stream');
      expect(stream.callbacks).toBe(3);
      expect(stream.in_order.every((callback) => 'response' in callback)).toBe(true);
      compare('stream_0', batch, 2);
      compare('stream_1', sample1, 1);
      compare('stream_2', sample0, 1);
      expect(differing).toEqual([]);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('camera streams run through Triton: detection, and re-identification embeddings as companion calls', async () => {
    const frames = extractVideoFrames('vtest.avi', { count: 12 });
    const session = openTrackStream(gateway.grpcAddress);
    frames.forEach((image, index) =>
      session.send({
        config: index === 0 ? streamConfig({ policy: 3, frameDeadlineMs: 30_000 }) : undefined,
        cameraId: 'over-triton',
        seq: BigInt(index + 1),
        captureTimeMs: BigInt(1_700_000_000_000 + index * 100),
        image,
      }),
    );
    session.close();
    expect(await session.closed).toBeNull();
    const answered = session.results.filter((result) => result.cameraId && !result.error);
    expect(answered).toHaveLength(frames.length);
    const last = answered.at(-1)!;
    expect(last.objects.length).toBeGreaterThan(2);
    // Embedded by the appearance model Triton serves: every tracked person has a global id.
    expect(last.objects.every((object) => object.globalId > 0n)).toBe(true);
    expect(last.timingsMs.reidentify).toBeGreaterThanOrEqual(0);
  });

  it("a request naming the served version goes to Triton as the caller's bytes, the answer comes back as Triton's", async () => {
    const input = seededFloats(NANODET_INPUT_SIZE, SEED + 7);
    const named = { ...inferRequest(input, 1, 'as-sent'), modelVersion: '1' };
    const fromTriton = await direct.modelInfer(named);
    // Forwarded unchanged (version '1' resolved to '1') and re-encoded (version '' resolved to '1'):
    // Triton's own answer either way, every field and byte of it.
    for (const request of [named, { ...named, modelVersion: '' }]) {
      const through = await callUnary<ModelInferResponse>(kserve, 'modelInfer', request);
      expect(through).toEqual(fromTriton);
    }
    // With a request parameter the request is re-encoded (the gateway forwards no parameters).
    const withParameter = create(ModelInferRequestSchema, {
      ...named,
      parameters: {
        priority: create(InferParameterSchema, {
          parameterChoice: { case: 'uint64Param', value: 1n },
        }),
      },
    });
    const through = await callUnary<ModelInferResponse>(kserve, 'modelInfer', withParameter);
    expect(rawOutputsOf(through)).toEqual(rawOutputsOf(fromTriton));
  });

  it('detect through Triton finds exactly what the embedded backend finds', async () => {
    const embedded = await startTestGateway();
    try {
      const [through, local] = await Promise.all([
        detect(gateway.httpUrl),
        detect(embedded.httpUrl),
      ]);
      expect(through.status).toBe(200);
      expect(through.body.detections).toEqual(local.body.detections);
      expect(through.body.detections).toContainEqual(expect.objectContaining({ label: 'person' }));
    } finally {
      await embedded.close();
    }
  }, 60_000);

  it('Triton killed mid-load: every in-flight and new request ends promptly with UNAVAILABLE/503; restarted, it is used again without restarting the gateway', async () => {
    const sample = seededFloats(NANODET_INPUT_SIZE, SEED + 1);
    interface Outcome {
      startedAt: number;
      endedAt: number;
      error?: ServiceError;
    }
    const outcomes: Outcome[] = [];
    let running = true;
    const worker = async (): Promise<void> => {
      while (running) {
        const startedAt = Date.now();
        const error = await callUnary(kserve, 'modelInfer', inferRequest(sample, 1)).then(
          () => undefined,
          (caught: ServiceError) => caught,
        );
        outcomes.push({ startedAt, endedAt: Date.now(), error });
        if (error) await sleep(25); // a failing backend must not turn the loop into a spin
      }
    };
    const workers = [1, 2, 3, 4].map(() => worker());
    while (outcomes.filter((outcome) => !outcome.error).length < 4) await sleep(20);
    // Kill while requests are on the wire to Triton (sent, not yet answered).
    const backend = gateway.app.get<TritonBackend>(INFERENCE_BACKEND);
    while (backend.outstandingCalls() < 2) await sleep(1);

    const killStarted = Date.now();
    await triton.kill();
    const killedAt = Date.now(); // the whole process group is gone
    await sleep(2000);
    running = false;
    await Promise.all(workers);

    const after = outcomes.filter((outcome) => outcome.endedAt >= killStarted);
    const failures = after.flatMap((outcome) => (outcome.error ? [outcome] : []));
    // Everything sent after the kill failed; only answers already on their way may have succeeded.
    expect(after.filter((outcome) => outcome.startedAt > killedAt && !outcome.error)).toEqual([]);
    expect(failures.length).toBeGreaterThan(4);
    for (const { error, startedAt, endedAt } of failures) {
      expect(error).toMatchObject({
        code: status.UNAVAILABLE,
        details: expect.stringContaining(triton.grpcAddress),
      });
      // From when the process group is gone: until then the kernel may still accept connections.
      expect(endedAt - Math.max(startedAt, killedAt)).toBeLessThan(3000);
    }
    // Requests on the wire when Triton died fail with the transport error, naming the endpoint.
    expect(failures.map((failure) => failure.error?.details)).toContainEqual(
      expect.stringMatching(new RegExp(`^Triton endpoint ${triton.grpcAddress} unavailable: `)),
    );
    const rest = await detect(gateway.httpUrl);
    expect(rest.status).toBe(503);
    expect(rest.body.error).toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining("no healthy Triton endpoint for model 'nanodet'"),
    });
    expect((await fetch(`${gateway.httpUrl}/readyz`)).status).toBe(503);

    await triton.restart();
    const deadline = Date.now() + 30_000;
    let response: ModelInferResponse | ServiceError;
    do {
      await sleep(250);
      response = await callUnary<ModelInferResponse>(
        kserve,
        'modelInfer',
        inferRequest(sample, 1),
      ).catch((error: ServiceError) => error);
    } while (response instanceof Error && Date.now() < deadline);
    expect(response).not.toBeInstanceOf(Error);
    const reference = await nanodetReference(sample, 1);
    const outputs = rawOutputsOf(response as ModelInferResponse);
    for (const name of NANODET_OUTPUTS) expect(outputs[name]).toEqual(reference[name]);
    expect((await fetch(`${gateway.httpUrl}/readyz`)).status).toBe(200);
  }, 180_000);
});
