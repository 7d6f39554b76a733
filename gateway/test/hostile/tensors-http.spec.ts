/**
 * Regression tests (issue 10, findings 1, 2 and the deflate bomb of 9) for the KServe v2 REST
 * tensor paths, measured on a real gateway in a child process: what each hostile body costs (event
 * loop, peak RSS, normal detects served meanwhile), not only what it answers.
 */
import { deflateSync, gzipSync } from 'node:zlib';
import { NANODET_INPUT_SIZE, NANODET_OUTPUTS, nanodetBinaryInferBody } from '../nanodet-reference';
import { seededFloats, withAuth } from '../test-gateway';
import {
  describeCost,
  expectCheap,
  measureCost,
  startMeteredGateway,
  type MeteredGateway,
} from './cost-meter';
import { binaryBytesBomb, jsonBytesBomb } from './hostile-inputs';

const MIB = 1024 * 1024;
const INFER = '/v2/models/nanodet/infer';

async function post(
  gateway: MeteredGateway,
  body: Buffer,
  headers: Record<string, string>,
  path = INFER,
): Promise<{ status: number; error?: string; body: Buffer; headerLength?: number }> {
  const response = await fetch(`${gateway.httpUrl}${path}`, {
    ...withAuth({ method: 'POST', headers, body }),
    signal: AbortSignal.timeout(120_000),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const json = response.headers.get('content-type')?.includes('json')
    ? (JSON.parse(bytes.toString()) as { error?: string })
    : {};
  const headerLength = response.headers.get('inference-header-content-length');
  return {
    status: response.status,
    error: json.error,
    body: bytes,
    headerLength: headerLength === null ? undefined : Number(headerLength),
  };
}

jest.setTimeout(300_000);

describe('hostile input: KServe v2 REST tensors (cost-metered)', () => {
  let gateway: MeteredGateway;

  beforeAll(async () => {
    gateway = await startMeteredGateway();
  });
  afterAll(() => gateway.kill());

  it('refuses the gzip JSON BYTES bomb (21 M empty elements) before decoding one element', async () => {
    const body = gzipSync(jsonBytesBomb(21_000_000));
    expect(body.byteLength).toBeLessThan(256 * 1024);
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    const { cost, result } = await measureCost(gateway, () => post(gateway, body, headers));
    console.log(`gzip JSON BYTES bomb: ${describeCost(cost)}`);
    expect({ status: result.status, error: result.error }).toEqual({
      status: 400,
      error: expect.stringMatching(
        /input 'images': datatype BYTES does not match the model's FP32/,
      ),
    });
    expectCheap(cost);
  });

  it('refuses the binary-extension BYTES tensor of 16.5 M empty elements without walking them', async () => {
    const raw = binaryBytesBomb(16_500_000);
    const body = gzipSync(raw.body);
    const headers = {
      'content-type': 'application/octet-stream',
      'content-encoding': 'gzip',
      'inference-header-content-length': String(raw.headerLength),
    };
    const { cost, result } = await measureCost(gateway, () => post(gateway, body, headers));
    console.log(`binary BYTES bomb: ${describeCost(cost)}`);
    expect({ status: result.status, error: result.error }).toEqual({
      status: 400,
      error: expect.stringMatching(
        /input 'images': datatype BYTES does not match the model's FP32/,
      ),
    });
    expectCheap(cost);
  });

  it('refuses an output requested 150 times (JSON answer) with 400', async () => {
    const input = seededFloats(NANODET_INPUT_SIZE);
    const { body, headers } = nanodetBinaryInferBody(input, 1, {
      outputs: Array.from({ length: 150 }, () => ({ name: 'cls_s8' })),
    });
    const { cost, result } = await measureCost(gateway, () => post(gateway, body, headers));
    console.log(`output ×150, JSON: ${describeCost(cost)}`);
    expect({ status: result.status, error: result.error }).toEqual({
      status: 400,
      error: expect.stringMatching(/output 'cls_s8' is requested more than once/),
    });
    expectCheap(cost);
  });

  it('refuses an output requested 150 times (binary answer) with 400', async () => {
    const input = seededFloats(NANODET_INPUT_SIZE);
    const { body, headers } = nanodetBinaryInferBody(input, 1, {
      outputs: Array.from({ length: 150 }, () => ({
        name: 'reg_s8',
        parameters: { binary_data: true },
      })),
    });
    const { cost, result } = await measureCost(gateway, () => post(gateway, body, headers));
    console.log(`output ×150, binary: ${describeCost(cost)}`);
    expect({ status: result.status, error: result.error }).toEqual({
      status: 400,
      error: expect.stringMatching(/output 'reg_s8' is requested more than once/),
    });
    expectCheap(cost);
  });

  it('answers a zlib deflate bomb with 413, like gzip', async () => {
    const body = deflateSync(Buffer.alloc(200 * MIB));
    const headers = { 'content-type': 'application/json', 'content-encoding': 'deflate' };
    const { cost, result } = await measureCost(gateway, () => post(gateway, body, headers));
    console.log(`deflate bomb: ${describeCost(cost)}`);
    expect({ status: result.status, error: result.error }).toEqual({
      status: 413,
      error: expect.stringMatching(/deflate body inflates beyond the 67108864-byte limit/),
    });
    expectCheap(cost);
  });

  it('serves a legitimate large JSON infer (1×3×416×416 FP32 as JSON) without stalling', async () => {
    const input = seededFloats(NANODET_INPUT_SIZE, 7);
    const json = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 416, 416], data: [...input] }],
      }),
    );
    expect(json.byteLength).toBeGreaterThan(5 * MIB);
    // The same input as binary: the reference the JSON answer must match, value for value.
    const binary = nanodetBinaryInferBody(input, 1);
    const reference = await post(gateway, binary.body, binary.headers);
    expect(reference.status).toBe(200);

    const { cost, result } = await measureCost(gateway, () =>
      post(gateway, json, { 'content-type': 'application/json' }),
    );
    console.log(
      `legitimate JSON infer (${(json.byteLength / MIB).toFixed(1)} MiB): ${describeCost(cost)}`,
    );
    expect(result.status).toBe(200);
    const answer = JSON.parse(result.body.toString()) as {
      outputs: { name: string; shape: number[]; data: number[] }[];
    };
    expect(answer.outputs.map((output) => output.name)).toEqual([...NANODET_OUTPUTS]);
    const expected = binaryOutputs(reference.body, reference.headerLength ?? 0);
    for (const output of answer.outputs) {
      expect(Float32Array.from(output.data)).toEqual(expected[output.name]);
    }
    expectCheap(cost);
  });
});

/** Each output of a binary-extension answer as float32, by name. */
function binaryOutputs(body: Buffer, headerLength: number): Record<string, Float32Array> {
  const header = JSON.parse(body.subarray(0, headerLength).toString()) as {
    outputs: { name: string; parameters: { binary_data_size: number } }[];
  };
  let offset = headerLength;
  const outputs: Record<string, Float32Array> = {};
  for (const output of header.outputs) {
    const size = output.parameters.binary_data_size;
    outputs[output.name] = new Float32Array(
      Uint8Array.prototype.slice.call(body, offset, offset + size).buffer,
    );
    offset += size;
  }
  return outputs;
}
