/**
 * The interop tier's ground truth: a real NVIDIA Triton Inference Server (triton-server.ts) driven by
 * NVIDIA's own client, with no gateway in between. The same tritonclient script the gateway's
 * conformance spec uses (../conformance/tritonclient_conformance.py) runs against Triton directly;
 * this spec pins down what Triton really answers (metadata, tensors, stream, errors, metrics), so
 * that gateway-in-front-of-Triton specs can be checked against it, and checks the harness's own
 * lifecycle: stop leaves nothing behind, restart comes back on the same ports.
 *
 * Tensors: Triton runs the committed ONNX file with Python ONNX Runtime inside its Python backend;
 * nanodetReference() runs it with onnxruntime-node in this process. Both must agree bit for bit.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readNpyFloat32, writeNpyFloat32 } from '../conformance/npy';
import { NANODET_INPUT_SIZE, NANODET_OUTPUTS, nanodetReference } from '../nanodet-reference';
import { REPO_ROOT, seededFloats } from '../test-gateway';
import {
  freePorts,
  groupMembers,
  portIsFree,
  shmFiles,
  startTritonServer,
  TRITON_PYTHON,
  tritonHttp,
  withoutTriton,
  type RunningTriton,
} from './triton-server';
import {
  MISSING_MODEL,
  OUTPUT_DIMS,
  ok,
  pinnedVersion,
  raised,
  type ClientSummary,
  type InferSummary,
} from '../conformance/tritonclient-summary';

const script = join(REPO_ROOT, 'gateway/test/conformance/tritonclient_conformance.py');
const requirements = join(REPO_ROOT, 'scripts/requirements-triton.txt');
const SEED = 20260601;
const TRITON_VERSION = '2.51.0';

/** What Triton says about the model: as the gateway, but the platform is the serving backend. */
const MODEL_METADATA = {
  name: 'nanodet',
  versions: ['1'],
  platform: 'python',
  inputs: [{ name: 'images', datatype: 'FP32', shape: [-1, 3, 416, 416] }],
  outputs: NANODET_OUTPUTS.map((name) => ({
    name,
    datatype: 'FP32',
    shape: [-1, ...OUTPUT_DIMS[name]],
  })),
};

/** Triton 2.51's messages, verbatim: what a client of real Triton sees. */
const WRONG_SHAPE_MESSAGE = (batch: number, requestId: string): string =>
  `[request id: ${requestId}] unexpected shape for input 'images' for model 'nanodet'. ` +
  `Expected [-1,3,416,416], got [${batch},3,32,32]. NOTE: Setting a non-zero max_batch_size in the ` +
  'model config requires a batch dimension to be prepended to each input shape. If you want to ' +
  'specify the full shape including the batch dim in your input dims config, try setting ' +
  'max_batch_size to zero. See the model configuration docs for more info on max_batch_size.';
const UNKNOWN_MODEL_MESSAGE = `Request for unknown model: '${MISSING_MODEL}' is not found`;
const WRONG_DATATYPE_MESSAGE =
  "[request id: <id_unknown>] inference input 'images' data-type is 'FP16', but model 'nanodet' expects 'FP32'";

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const { status, body } = await tritonHttp(url);
  return { status, body: JSON.parse(body.toString()) };
}

/** One batch-1 request over the binary tensor extension (REST), every output as float32. */
async function inferBinary(
  httpAddress: string,
  sample: Float32Array,
  id: string,
): Promise<Record<string, Float32Array>> {
  const header = Buffer.from(
    JSON.stringify({
      id,
      inputs: [
        {
          name: 'images',
          datatype: 'FP32',
          shape: [1, 3, 416, 416],
          parameters: { binary_data_size: sample.byteLength },
        },
      ],
      outputs: NANODET_OUTPUTS.map((name) => ({ name, parameters: { binary_data: true } })),
    }),
  );
  const response = await tritonHttp(`http://${httpAddress}/v2/models/nanodet/infer`, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': `${header.byteLength}`,
    },
    body: Buffer.concat([header, Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength)]),
  });
  if (response.status !== 200)
    throw new Error(`${id}: ${response.status} ${response.body.toString()}`);
  const jsonLength = Number(response.headers['inference-header-content-length']);
  const json = JSON.parse(response.body.subarray(0, jsonLength).toString()) as {
    outputs: { name: string; parameters: { binary_data_size: number } }[];
  };
  const outputs: Record<string, Float32Array> = {};
  let offset = jsonLength;
  for (const { name, parameters } of json.outputs) {
    const bytes = Uint8Array.prototype.slice.call(
      response.body,
      offset,
      offset + parameters.binary_data_size,
    );
    outputs[name] = new Float32Array(bytes.buffer);
    offset += parameters.binary_data_size;
  }
  return outputs;
}

function sameBits(a: Float32Array | undefined, b: Float32Array): boolean {
  return (
    a !== undefined &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    )
  );
}

describe('real Triton Inference Server, driven directly by NVIDIA tritonclient', () => {
  if (withoutTriton('the real-Triton interop spec')) return;

  const input = seededFloats(2 * NANODET_INPUT_SIZE, SEED);
  let triton: RunningTriton;
  let outDir: string;
  let summary: ClientSummary;
  let reference: Record<'batch' | 'sample0' | 'sample1', Record<string, Float32Array>>;

  /** Differences between what the client received at `path` and ONNX Runtime in Node; [] if none. */
  function mismatches(
    path: string,
    expected: Record<string, Float32Array>,
    batch: number,
    names: readonly (typeof NANODET_OUTPUTS)[number][] = NANODET_OUTPUTS,
  ): string[] {
    const found: string[] = [];
    for (const name of names) {
      const { shape, data } = readNpyFloat32(join(outDir, `${path}.${name}.npy`));
      const dims = [batch, ...OUTPUT_DIMS[name]];
      if (JSON.stringify(shape) !== JSON.stringify(dims)) {
        found.push(`${path}.${name}: shape [${shape.join(',')}], expected [${dims.join(',')}]`);
        continue;
      }
      const want = expected[name];
      let differing = 0;
      let maxDiff = 0;
      for (let i = 0; i < want.length; i += 1) {
        if (Object.is(data[i], want[i])) continue;
        differing += 1;
        maxDiff = Math.max(maxDiff, Math.abs(data[i] - want[i]));
      }
      if (differing > 0) {
        found.push(
          `${path}.${name}: ${differing}/${want.length} values differ, max |diff| ${maxDiff}`,
        );
      }
    }
    return found;
  }

  function expectInferSummary(result: InferSummary, id: string, batch: number): void {
    expect(result).toMatchObject({ id, model_name: 'nanodet', model_version: '1' });
    expect(result.output_order).toEqual([...NANODET_OUTPUTS]);
    for (const name of NANODET_OUTPUTS) {
      expect(result.outputs[name]).toMatchObject({
        datatype: 'FP32',
        shape: [batch, ...OUTPUT_DIMS[name]],
      });
    }
  }

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'triton-direct-'));
    const inputPath = join(outDir, 'input.npy');
    writeNpyFloat32(inputPath, input, [2, 3, 416, 416]);
    triton = await startTritonServer();
    try {
      await promisify(execFile)(
        TRITON_PYTHON,
        [script, '--http', triton.httpAddress, '--grpc', triton.grpcAddress].concat([
          '--input',
          inputPath,
          '--out',
          outDir,
        ]),
        { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (error) {
      const { message, stderr } = error as { message: string; stderr?: string };
      throw new Error(`tritonclient_conformance.py failed: ${message}\n${stderr ?? ''}`);
    }
    summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as ClientSummary;
    reference = {
      batch: await nanodetReference(input, 2),
      sample0: await nanodetReference(input.slice(0, NANODET_INPUT_SIZE), 1),
      sample1: await nanodetReference(input.slice(NANODET_INPUT_SIZE), 1),
    };
  }, 120_000);

  afterAll(async () => {
    await triton?.stop();
    if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
  });

  it('ran the pinned tritonclient against Triton 2.51.0', () => {
    expect(summary.versions.tritonclient).toBe(pinnedVersion(requirements, 'tritonclient'));
    expect(summary.versions.numpy).toBe(pinnedVersion(requirements, 'numpy'));
    expect(summary.input_shape).toEqual([2, 3, 416, 416]);
  });

  describe.each(['http', 'grpc'] as const)('%s client', (protocol) => {
    it('sees Triton live and ready, and its metadata and extensions', () => {
      const seen = summary[protocol];
      expect(ok(seen.live, 'is_server_live')).toBe(true);
      expect(ok(seen.ready, 'is_server_ready')).toBe(true);
      expect(ok(seen.server_metadata, 'get_server_metadata')).toEqual({
        name: 'triton',
        version: TRITON_VERSION,
        extensions: [
          'classification',
          'sequence',
          'model_repository',
          'model_repository(unload_dependents)',
          'schedule_policy',
          'model_configuration',
          'system_shared_memory',
          'cuda_shared_memory',
          'binary_tensor_data',
          'parameters',
          'statistics',
          'trace',
          'logging',
        ],
      });
    });

    it('sees nanodet ready with the production name, versions and tensors', () => {
      const seen = summary[protocol];
      expect(ok(seen.model_ready, "is_model_ready('nanodet')")).toBe(true);
      expect(ok(seen.model_ready_v1, "is_model_ready('nanodet', '1')")).toBe(true);
      expect(ok(seen.unknown_model_ready, `is_model_ready('${MISSING_MODEL}')`)).toBe(false);
      expect(ok(seen.model_metadata, "get_model_metadata('nanodet')")).toEqual(MODEL_METADATA);
      expect(ok(seen.model_metadata_v1, "get_model_metadata('nanodet', '1')")).toEqual(
        MODEL_METADATA,
      );
      expect(ok(seen.model_config, "get_model_config('nanodet')")).toEqual({
        name: 'nanodet',
        // HTTP gives the empty platform of a backend-only config; gRPC's JSON leaves it out.
        platform: protocol === 'http' ? '' : null,
        max_batch_size: 8,
        input: [{ name: 'images', data_type: 'TYPE_FP32', dims: [3, 416, 416] }],
        output: [...NANODET_OUTPUTS],
        preferred_batch_size: [4, 8],
      });
    });

    it("answers bad requests with Triton's own codes and messages", () => {
      const { errors } = summary[protocol];
      const code = (http: string, grpc: string): string =>
        protocol === 'http' ? http : `StatusCode.${grpc}`;
      expect(raised(errors.unknown_model, 'unknown model')).toMatchObject({
        status: code('404', 'NOT_FOUND'),
        message: UNKNOWN_MODEL_MESSAGE,
      });
      expect(raised(errors.wrong_shape, 'a 32x32 input')).toMatchObject({
        status: code('400', 'INVALID_ARGUMENT'),
        message: WRONG_SHAPE_MESSAGE(2, '<id_unknown>'),
      });
      expect(raised(errors.wrong_datatype, 'an FP16 input')).toMatchObject({
        status: code('400', 'INVALID_ARGUMENT'),
        message: WRONG_DATATYPE_MESSAGE,
      });
    });
  });

  it.each([
    ['http_binary', 'http', 'http-binary-1'],
    ['http_json', 'http', 'http-json-1'],
    ['grpc', 'grpc', 'grpc-1'],
  ] as const)(
    '%s: a batch of two is bit-identical to ONNX Runtime in Node',
    (path, protocol, id) => {
      const result = ok(summary[protocol].infer[path], `infer over ${path}`);
      expectInferSummary(result, id, 2);
      if (path === 'http_binary') {
        for (const name of NANODET_OUTPUTS) {
          const [cells, values] = OUTPUT_DIMS[name];
          expect(result.outputs[name].binary_data_size).toBe(2 * cells * values * 4);
        }
      }
      expect(mismatches(path, reference.batch, 2)).toEqual([]);
    },
  );

  it('gRPC stream: three requests answered in order, each bit-identical', () => {
    const stream = ok(summary.grpc.stream, 'stream of three requests');
    expect(stream.callbacks).toBe(3);
    const responses = stream.in_order.map((callback, index) => {
      if ('error' in callback)
        throw new Error(`stream callback ${index}: ${callback.error.message}`);
      return callback.response;
    });
    expectInferSummary(responses[0], 'stream-0', 2);
    expectInferSummary(responses[1], 'stream-1', 1);
    expectInferSummary(responses[2], 'stream-2', 1);
    expect([
      ...mismatches('stream_0', reference.batch, 2),
      ...mismatches('stream_1', reference.sample1, 1),
      ...mismatches('stream_2', reference.sample0, 1),
    ]).toEqual([]);
  });

  it('gRPC stream: errors reach the callback without a status code, the stream keeps serving', () => {
    const stream = ok(summary.grpc.stream_errors, 'stream with failing requests');
    expect(stream.callbacks).toBe(3);
    const [unknownModel, wrongShape, after] = stream.in_order;
    // Triton puts a stream error in ModelStreamInferResponse.error_message: no gRPC status.
    expect(unknownModel).toMatchObject({ error: { status: null, message: UNKNOWN_MODEL_MESSAGE } });
    expect(wrongShape).toMatchObject({
      error: { status: null, message: WRONG_SHAPE_MESSAGE(1, 'stream-wrong-shape') },
    });
    if (!('response' in after)) throw new Error(`request after the errors: ${after.error.message}`);
    expectInferSummary(after.response, 'stream-after-errors', 1);
    expect(mismatches('stream_after_errors', reference.sample0, 1)).toEqual([]);
  });

  it.each(['http_gzip', 'http_deflate'] as const)(
    '%s: Triton inflates a compressed request',
    (path) => {
      const result = ok(summary.http.compressed_request[path], `infer over ${path}`);
      expect(result.id).toBe(path);
      expect(mismatches(path, reference.sample0, 1, ['reg_s32'])).toEqual([]);
    },
  );

  it('serves the generated Python-backend config with the production batching and vision parameters', async () => {
    const { status, body } = await getJson(`http://${triton.httpAddress}/v2/models/nanodet/config`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      name: 'nanodet',
      backend: 'python',
      max_batch_size: 8,
      dynamic_batching: { preferred_batch_size: [4, 8], max_queue_delay_microseconds: 2000 },
      instance_group: [expect.objectContaining({ count: 1, kind: 'KIND_CPU' })],
      parameters: {
        'vision.decoder': { string_value: 'nanodet-gfl' },
        'vision.resize': { string_value: 'letterbox' },
        onnx_path: { string_value: join(REPO_ROOT, 'triton-models/nanodet/{version}/model.onnx') },
        intra_op_threads: { string_value: '1' },
      },
    });
  });

  it('answers REST requests for an unknown model as Triton 2.51 does (status, body, content type)', async () => {
    const base = `http://${triton.httpAddress}/v2/models/${MISSING_MODEL}`;
    const metadata = await tritonHttp(base);
    expect(metadata.status).toBe(404);
    expect(metadata.headers['content-type']).toBe('application/json');
    expect(JSON.parse(metadata.body.toString())).toEqual({ error: UNKNOWN_MODEL_MESSAGE });
    // Readiness of a model it does not serve: 400, a JSON body labelled text/plain.
    const ready = await tritonHttp(`${base}/ready`);
    expect(ready.status).toBe(400);
    expect(ready.headers['content-type']).toBe('text/plain');
    expect(JSON.parse(ready.body.toString())).toEqual({ error: 'Model version not ready' });
  });

  it("counts the successful inferences in Triton's Prometheus metrics", async () => {
    const { status, body } = await tritonHttp(triton.metricsUrl);
    expect(status).toBe(200);
    const samples = (name: string): Record<string, number> =>
      Object.fromEntries(
        body
          .toString()
          .split('\n')
          // nanodet's series (the repository also serves the appearance model, not called here).
          .filter((line) => line.startsWith(`${name}{`) && line.includes('model="nanodet"'))
          .map((line) => [
            line.slice(name.length, line.lastIndexOf(' ')),
            Number(line.split(' ').pop()),
          ]),
      );
    // http_binary, http_json, gzip, deflate, grpc, three stream requests, one after the stream errors.
    expect(samples('nv_inference_request_success')).toEqual({ '{model="nanodet",version="1"}': 9 });
    // Requests refused by validation (wrong shape or datatype) count as no failure of any reason.
    expect(samples('nv_inference_request_failure')).toEqual(
      Object.fromEntries(
        ['OTHER', 'BACKEND', 'CANCELED', 'REJECTED'].map((reason) => [
          `{model="nanodet",reason="${reason}",version="1"}`,
          0,
        ]),
      ),
    );
  });

  it('dynamic batcher: concurrent requests share model executions, each answer bit-identical', async () => {
    const stats = async (): Promise<{ inference_count: number; execution_count: number }> => {
      const { body } = await getJson(`http://${triton.httpAddress}/v2/models/nanodet/stats`);
      return (body as { model_stats: { inference_count: number; execution_count: number }[] })
        .model_stats[0];
    };
    const samples = Array.from({ length: 4 }, (_, i) =>
      seededFloats(NANODET_INPUT_SIZE, SEED + 1 + i),
    );
    const before = await stats();
    const answers = await Promise.all(
      samples.map((sample, i) => inferBinary(triton.httpAddress, sample, `batched-${i}`)),
    );
    const after = await stats();
    expect(after.inference_count - before.inference_count).toBe(samples.length);
    // The first request may run alone; the others queue behind it and run as one batch.
    expect(after.execution_count - before.execution_count).toBeLessThan(samples.length);
    const differing: string[] = [];
    for (const [i, sample] of samples.entries()) {
      const expected = await nanodetReference(sample, 1);
      for (const name of NANODET_OUTPUTS) {
        if (!sameBits(answers[i][name], expected[name])) differing.push(`batched-${i}.${name}`);
      }
    }
    expect(differing).toEqual([]);
  });

  describe('lifecycle', () => {
    it('stop: the process group is gone, the ports are free, shared memory is released', async () => {
      const pid = triton.pid!;
      const shmPrefix = triton.shmPrefix!;
      expect(groupMembers(pid).length).toBeGreaterThan(1); // tritonserver and its Python stub
      expect(shmFiles(shmPrefix).length).toBeGreaterThan(0);
      await triton.stop();
      await triton.stop(); // idempotent
      expect(triton.pid).toBeUndefined();
      expect(groupMembers(pid)).toEqual([]);
      const { http, grpc, metrics } = triton.ports;
      expect(await Promise.all([http, grpc, metrics].map(portIsFree))).toEqual([true, true, true]);
      expect(shmFiles(shmPrefix)).toEqual([]);
      expect(triton.log()).toContain('successfully unloaded');
    });

    it('restart: ready again on the same ports', async () => {
      const ports = { ...triton.ports };
      await triton.restart();
      expect(triton.ports).toEqual(ports);
      expect((await tritonHttp(`http://${triton.httpAddress}/v2/health/ready`)).status).toBe(200);
      const modelReady = await tritonHttp(`http://${triton.httpAddress}/v2/models/nanodet/ready`);
      expect(modelReady.status).toBe(200);
    });

    it('kill (a crash): the group dies at once; restart brings it back on the same ports', async () => {
      const pid = triton.pid!;
      await triton.kill();
      expect(groupMembers(pid)).toEqual([]);
      await triton.restart();
      expect(triton.pid).not.toBe(pid);
      expect((await tritonHttp(`http://${triton.httpAddress}/v2/health/ready`)).status).toBe(200);
    });
  });
});

describe('real Triton: a port taken by another process', () => {
  if (withoutTriton('the real-Triton port clash spec')) return;

  it('fails the start with a clear error and leaves no process behind', async () => {
    const squatter = createServer();
    await new Promise<void>((resolvePromise) => squatter.listen(0, '127.0.0.1', resolvePromise));
    const taken = (squatter.address() as { port: number }).port;
    try {
      // Triton logs "Started HTTPService" on the taken port, then exits with status 1.
      const { grpc, metrics } = await freePorts();
      const start = startTritonServer({ ports: { http: taken, grpc, metrics } });
      await expect(start).rejects.toThrow(/already in use/);
      const leftovers = readdirSync('/proc').filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(`--http-port=${taken}`);
        } catch {
          return false;
        }
      });
      expect(leftovers).toEqual([]);
    } finally {
      await new Promise<void>((resolvePromise) => squatter.close(() => resolvePromise()));
    }
  });
});
