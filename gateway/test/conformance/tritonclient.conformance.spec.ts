/**
 * NVIDIA's own client, unchanged, against our gateway: tritonclient_conformance.py drives the public
 * tritonclient API (HTTP binary and JSON tensors, gRPC unary and streaming, readiness, metadata,
 * errors) at a real in-process gateway and writes every tensor it received as .npy; this spec checks
 * them bit for bit against ONNX Runtime run directly on the committed model (nanodetReference).
 *
 * The input goes to Python as a .npy written here from seededFloats, so both sides see the same bytes.
 * The script never blocks on a failed call: each outcome is recorded ({ok} or {exception}) and judged
 * here. It must run asynchronously: the gateway under test shares this process's event loop.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NANODET_INPUT_SIZE, NANODET_OUTPUTS, nanodetReference } from '../nanodet-reference';
import { REPO_ROOT, seededFloats, startTestGateway, type TestGateway } from '../test-gateway';
import { missingPrerequisite } from '@test-support';
import { readNpyFloat32, writeNpyFloat32 } from './npy';
import {
  MISSING_MODEL,
  OUTPUT_DIMS,
  ok,
  pinnedVersion,
  raised,
  type ClientSummary,
  type InferSummary,
  type ModelMetadata,
  type ModelStat,
} from './tritonclient-summary';

const python = process.env.PYTHON ?? join(REPO_ROOT, '.venv/bin/python');
const script = join(__dirname, 'tritonclient_conformance.py');
const requirements = join(REPO_ROOT, 'scripts/requirements-test.txt');
const SEED = 20260601;

function probeClient(): string | undefined {
  const probe = spawnSync(python, ['-c', 'import numpy, tritonclient.http, tritonclient.grpc'], {
    encoding: 'utf8',
  });
  if (probe.error !== undefined || probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim().split('\n').pop() ?? '';
    return (
      `tritonclient unavailable: "${python} -c 'import numpy, tritonclient.http, tritonclient.grpc'" ` +
      `failed (${why}). Install it with: .venv/bin/pip install -r scripts/requirements-test.txt ` +
      '(or scripts/setup.sh --test, or point PYTHON at an interpreter that has it).'
    );
  }
  return undefined;
}

async function runClient(args: string[]): Promise<void> {
  try {
    await promisify(execFile)(python, [script, ...args], {
      timeout: 90_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { message, stderr } = error as { message: string; stderr?: string };
    throw new Error(`tritonclient_conformance.py failed: ${message}\n${stderr ?? ''}`);
  }
}

function expectedModelMetadata(): ModelMetadata {
  return {
    name: 'nanodet',
    versions: ['1'],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: 'images', datatype: 'FP32', shape: [-1, 3, 416, 416] }],
    outputs: NANODET_OUTPUTS.map((name) => ({
      name,
      datatype: 'FP32',
      shape: [-1, ...OUTPUT_DIMS[name]],
    })),
  };
}

describe('NVIDIA tritonclient against the gateway, unchanged (KServe v2 HTTP + gRPC)', () => {
  if (missingPrerequisite('tritonclient', probeClient())) return;

  const input = seededFloats(2 * NANODET_INPUT_SIZE, SEED);
  let gateway: TestGateway;
  let outDir: string;
  let summary: ClientSummary;
  /** ONNX Runtime directly: the batch of two, and each sample on its own (batch 1). */
  let reference: Record<'batch' | 'sample0' | 'sample1', Record<string, Float32Array>>;

  /** Every output `path` received, each compared byte for byte with the reference; [] when all match. */
  function mismatches(
    path: string,
    expected: Record<string, Float32Array>,
    batch: number,
    names: readonly string[] = NANODET_OUTPUTS,
  ): string[] {
    const found: string[] = [];
    for (const name of names) {
      const { shape, data } = readNpyFloat32(join(outDir, `${path}.${name}.npy`));
      const dims = [batch, ...OUTPUT_DIMS[name as keyof typeof OUTPUT_DIMS]];
      if (JSON.stringify(shape) !== JSON.stringify(dims)) {
        found.push(`${path}.${name}: shape [${shape.join(',')}], expected [${dims.join(',')}]`);
        continue;
      }
      const ours = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const want = expected[name];
      if (ours.equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))) continue;
      let differing = 0;
      let first = -1;
      for (let i = 0; i < want.length; i += 1) {
        if (Object.is(data[i], want[i])) continue;
        differing += 1;
        if (first < 0) first = i;
      }
      found.push(
        `${path}.${name}: ${differing}/${want.length} values differ, first at ${first} ` +
          `(got ${data[first]}, ONNX Runtime ${want[first]})`,
      );
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
        numpy_dtype: 'float32',
      });
    }
  }

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'tritonclient-conformance-'));
    const inputPath = join(outDir, 'input.npy');
    writeNpyFloat32(inputPath, input, [2, 3, 416, 416]);
    gateway = await startTestGateway();
    await runClient([
      '--http',
      new URL(gateway.httpUrl).host,
      '--grpc',
      gateway.grpcAddress,
      '--input',
      inputPath,
      '--out',
      outDir,
      '--api-key',
      gateway.apiKey,
    ]);
    summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as ClientSummary;
    reference = {
      batch: await nanodetReference(input, 2),
      sample0: await nanodetReference(input.slice(0, NANODET_INPUT_SIZE), 1),
      sample1: await nanodetReference(input.slice(NANODET_INPUT_SIZE), 1),
    };
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
  });

  it('ran the pinned tritonclient on exactly the bytes given to ONNX Runtime', () => {
    expect(summary.versions.tritonclient).toBe(pinnedVersion(requirements, 'tritonclient'));
    expect(summary.input_shape).toEqual([2, 3, 416, 416]);
    const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    expect(summary.input_sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  describe.each(['http', 'grpc'] as const)('%s client', (protocol) => {
    it('sees the server live and ready, and its metadata', () => {
      const seen = summary[protocol];
      expect(ok(seen.live, 'is_server_live')).toBe(true);
      expect(ok(seen.ready, 'is_server_ready')).toBe(true);
      expect(ok(seen.server_metadata, 'get_server_metadata')).toMatchObject({
        name: 'triton-cv-gateway',
        version: expect.any(String),
        extensions: expect.arrayContaining(['binary_tensor_data']),
      });
    });

    it('sees nanodet ready, with its versions, platform and tensors', () => {
      const seen = summary[protocol];
      expect(ok(seen.model_ready, "is_model_ready('nanodet')")).toBe(true);
      expect(ok(seen.model_ready_v1, "is_model_ready('nanodet', '1')")).toBe(true);
      expect(ok(seen.model_metadata, "get_model_metadata('nanodet')")).toEqual(
        expectedModelMetadata(),
      );
      expect(ok(seen.model_metadata_v1, "get_model_metadata('nanodet', '1')")).toEqual(
        expectedModelMetadata(),
      );
      expect(ok(seen.model_config, "get_model_config('nanodet')")).toEqual({
        name: 'nanodet',
        platform: 'onnxruntime_onnx',
        max_batch_size: 8,
        input: [{ name: 'images', data_type: 'TYPE_FP32', dims: [3, 416, 416] }],
        output: ['cls_s8', 'cls_s16', 'cls_s32', 'reg_s8', 'reg_s16', 'reg_s32'],
        preferred_batch_size: [4, 8],
      });
    });

    it('gets a clear error naming what was wrong: unknown model, wrong shape, wrong datatype', () => {
      const { errors } = summary[protocol];
      const code = (http: string, grpc: string): string =>
        protocol === 'http' ? http : `StatusCode.${grpc}`;
      const unknownModel = raised(errors.unknown_model, 'infer on an unknown model');
      expect(unknownModel.status).toBe(code('404', 'NOT_FOUND'));
      expect(unknownModel.message).toContain(`'${MISSING_MODEL}'`);
      const wrongShape = raised(errors.wrong_shape, 'infer with a 32x32 input');
      expect(wrongShape.status).toBe(code('400', 'INVALID_ARGUMENT'));
      expect(wrongShape.message).toContain("'images'");
      expect(wrongShape.message).toMatch(/2,\s*3,\s*32,\s*32/);
      const wrongDatatype = raised(errors.wrong_datatype, 'infer with an FP16 input');
      expect(wrongDatatype.status).toBe(code('400', 'INVALID_ARGUMENT'));
      expect(wrongDatatype.message).toContain("'images'");
      expect(wrongDatatype.message).toContain('FP16');
    });
  });

  it('HTTP is_model_ready is False for an unknown model, as with Triton (HTTP 400 there, no raise)', () => {
    expect(ok(summary.http.unknown_model_ready, `is_model_ready('${MISSING_MODEL}')`)).toBe(false);
  });

  it.each([
    ['http_binary', 'http', 'HTTP, binary tensor extension both ways', 'http-binary-1'],
    ['http_json', 'http', 'HTTP, JSON tensors both ways', 'http-json-1'],
    ['grpc', 'grpc', 'gRPC unary ModelInfer', 'grpc-1'],
  ] as const)(
    '%s (%s): a batch of two comes back bit-identical to ONNX Runtime',
    (path, protocol, _how, id) => {
      const result = ok(summary[protocol].infer[path], `infer over ${path}`);
      expectInferSummary(result, id, 2);
      if (path === 'http_binary') {
        // The binary tensor extension announces each output's byte size in its JSON header.
        for (const name of NANODET_OUTPUTS) {
          const [cells, values] = OUTPUT_DIMS[name];
          expect(result.outputs[name].binary_data_size).toBe(2 * cells * values * 4);
        }
      }
      expect(mismatches(path, reference.batch, 2)).toEqual([]);
    },
  );

  it('gRPC stream: three async_stream_infer calls answered in order, each bit-identical', () => {
    const stream = ok(summary.grpc.stream, 'start_stream / async_stream_infer ×3 / stop_stream');
    expect(stream.callbacks).toBe(3);
    const responses = stream.in_order.map((callback, index) => {
      if ('error' in callback)
        throw new Error(`stream callback ${index}: ${callback.error.message}`);
      return callback.response;
    });
    expect(responses.map((response) => response.id)).toEqual(['stream-0', 'stream-1', 'stream-2']);
    expectInferSummary(responses[0], 'stream-0', 2);
    expectInferSummary(responses[1], 'stream-1', 1);
    expectInferSummary(responses[2], 'stream-2', 1);
    expect([
      ...mismatches('stream_0', reference.batch, 2),
      ...mismatches('stream_1', reference.sample1, 1),
      ...mismatches('stream_2', reference.sample0, 1),
    ]).toEqual([]);
  });

  it('gRPC stream: failing requests reach the callback as errors and the stream keeps serving', () => {
    const stream = ok(summary.grpc.stream_errors, 'stream with failing requests');
    expect(stream.callbacks).toBe(3);
    const [unknownModel, wrongShape, after] = stream.in_order;
    expect('error' in unknownModel && unknownModel.error.message).toContain(`'${MISSING_MODEL}'`);
    expect('error' in wrongShape && wrongShape.error.message).toMatch(
      /'images'.*1,\s*3,\s*32,\s*32/,
    );
    if (!('response' in after)) throw new Error(`request after the errors: ${after.error.message}`);
    expectInferSummary(after.response, 'stream-after-errors', 1);
    expect(mismatches('stream_after_errors', reference.sample0, 1)).toEqual([]);
  });

  // Triton answers ModelReady for a model it does not serve with OK and ready=false.
  it('gRPC is_model_ready is False for an unknown model, as with Triton', () => {
    expect(ok(summary.grpc.unknown_model_ready, `is_model_ready('${MISSING_MODEL}')`)).toBe(false);
  });

  /**
   * The calls the script made that reached nanodet, as Triton counts them: HTTP binary and JSON
   * (batch 2 each), gzip and deflate (1 each); gRPC unary (2), the stream (2, 1, 1) and the good
   * request after the stream's errors (1). Requests refused on their name, shape or datatype are no
   * failure, as with Triton (they never reach the model).
   */
  const CALLS = 9;
  const IMAGES = 2 + 2 + 1 + 1 + 2 + 2 + 1 + 1 + 1;

  it('get_inference_statistics (HTTP and gRPC): the counts of the calls made, the same through both', () => {
    const { statistics } = summary;
    const [http] = ok(statistics.http, "get_inference_statistics('nanodet')");
    const check = (stat: ModelStat): void => {
      expect(stat).toMatchObject({ name: 'nanodet', version: '1' });
      const stats = stat.inference_stats;
      expect(stats.success.count).toBe(CALLS);
      expect(stats.fail.count).toBe(0);
      for (const phase of ['queue', 'compute_input', 'compute_infer', 'compute_output'] as const) {
        expect(stats[phase].count).toBe(CALLS);
      }
      expect(stats.compute_infer.ns).toBeGreaterThan(0);
      expect(stats.success.ns).toBeGreaterThanOrEqual(stats.compute_infer.ns);
      expect(stat.inference_count).toBe(IMAGES);
      // The gateway's batcher may merge the stream's requests: executions and batch sizes add up
      // to the images either way.
      expect(stat.execution_count).toBeGreaterThan(0);
      expect(stat.execution_count).toBeLessThanOrEqual(CALLS);
      const batches = stat.batch_stats;
      expect(batches.reduce((sum, batch) => sum + batch.compute_infer.count, 0)).toBe(
        stat.execution_count,
      );
      expect(
        batches.reduce((sum, batch) => sum + batch.batch_size * batch.compute_infer.count, 0),
      ).toBe(IMAGES);
      expect(stat.last_inference).toBeGreaterThan(0);
    };
    check(http);
    expect(ok(statistics.http_v1, "get_inference_statistics('nanodet', '1')")).toEqual([http]);
    expect(ok(statistics.grpc, "get_inference_statistics('nanodet') over gRPC")).toEqual([http]);
    const everyModel = (stats: ModelStat[]): string[] => stats.map((stat) => stat.name).sort();
    expect(everyModel(ok(statistics.http_all, 'get_inference_statistics()'))).toEqual([
      'appearance-mobilenetv2',
      'nanodet',
    ]);
    expect(everyModel(ok(statistics.grpc_all, 'get_inference_statistics() over gRPC'))).toEqual([
      'appearance-mobilenetv2',
      'nanodet',
    ]);
    const httpUnknown = raised(statistics.http_unknown_model, 'statistics of an unknown model');
    expect(httpUnknown.status).toBe('404');
    expect(httpUnknown.message).toContain(`'${MISSING_MODEL}'`);
    const grpcUnknown = raised(statistics.grpc_unknown_model, 'statistics of an unknown model');
    expect(grpcUnknown.status).toBe('StatusCode.NOT_FOUND');
    expect(grpcUnknown.message).toContain(`'${MISSING_MODEL}'`);
  });

  // tritonclient.http compresses the whole body (JSON header + binary tensors) on request, with
  // Inference-Header-Content-Length the *uncompressed* JSON length; the gateway inflates it first.
  it.each(['http_gzip', 'http_deflate'] as const)(
    '%s: a compressed request body is inflated, as with Triton',
    (path) => {
      const result = ok(summary.http.compressed_request[path], `infer over ${path}`);
      expect(result.id).toBe(path);
      expect(mismatches(path, reference.sample0, 1, ['reg_s32'])).toEqual([]);
    },
  );
});
