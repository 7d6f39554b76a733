import type { RunningGateway } from '../src/gateway-app';
import {
  NANODET_INPUT_SIZE,
  NANODET_OUTPUTS,
  nanodetBinaryInferBody,
  nanodetReference,
} from './nanodet-reference';
import { seededFloats, startTestGateway, withAuth } from './test-gateway';

interface OutputJson {
  name: string;
  datatype: string;
  shape: number[];
  data?: number[];
  parameters?: { binary_data_size?: number };
}

/** Splits a binary response into its JSON header and each output's bytes as float32. */
function parseBinaryResponse(body: Buffer, headerLength: number): Record<string, Float32Array> {
  const json = JSON.parse(body.subarray(0, headerLength).toString()) as { outputs: OutputJson[] };
  const outputs: Record<string, Float32Array> = {};
  let offset = headerLength;
  for (const output of json.outputs) {
    const size = output.parameters?.binary_data_size ?? 0;
    const bytes = Uint8Array.prototype.slice.call(body, offset, offset + size);
    outputs[output.name] = new Float32Array(bytes.buffer);
    offset += size;
  }
  expect(offset).toBe(body.byteLength);
  return outputs;
}

describe('KServe v2 REST front door (embedded ONNX Runtime backend)', () => {
  let gateway: RunningGateway;
  const url = (path: string): string => `${gateway.httpUrl}${path}`;

  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.close());

  it('reports server metadata, liveness and readiness', async () => {
    const metadata = (await (await fetch(url('/v2'), withAuth())).json()) as {
      name: string;
      extensions: string[];
    };
    expect(metadata.name).toBe('triton-cv-gateway');
    expect(metadata.extensions).toContain('binary_tensor_data');
    expect((await fetch(url('/v2/health/live'))).status).toBe(200);
    expect((await fetch(url('/v2/health/ready'))).status).toBe(200);
    expect((await fetch(url('/v2/models/nanodet/ready'), withAuth())).status).toBe(200);
    expect((await fetch(url('/v2/models/nanodet/versions/1/ready'), withAuth())).status).toBe(200);
  });

  it('describes the model with its batch dimension', async () => {
    const response = await fetch(url('/v2/models/nanodet'), withAuth());
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as {
      name: string;
      versions: string[];
      platform: string;
      inputs: unknown[];
      outputs: { name: string; shape: number[] }[];
    };
    expect(metadata).toMatchObject({
      name: 'nanodet',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
    });
    expect(metadata.inputs).toEqual([
      { name: 'images', datatype: 'FP32', shape: [-1, 3, 416, 416] },
    ]);
    expect(metadata.outputs.map((output) => [output.name, output.shape])).toEqual([
      ['cls_s8', [-1, 2704, 80]],
      ['cls_s16', [-1, 676, 80]],
      ['cls_s32', [-1, 169, 80]],
      ['reg_s8', [-1, 2704, 44]],
      ['reg_s16', [-1, 676, 44]],
      ['reg_s32', [-1, 169, 44]],
    ]);
    const version = (await (
      await fetch(url('/v2/models/nanodet/versions/1'), withAuth())
    ).json()) as {
      versions: string[];
    };
    expect(version.versions).toEqual(['1']);
  });

  it('returns the model configuration as Triton does (proto field names, numbers, defaults)', async () => {
    const response = await fetch(url('/v2/models/nanodet/config'), withAuth());
    expect(response.status).toBe(200);
    const config = (await response.json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      name: 'nanodet',
      platform: 'onnxruntime_onnx',
      max_batch_size: 8,
      input: [{ name: 'images', data_type: 'TYPE_FP32', dims: [3, 416, 416] }],
      dynamic_batching: { preferred_batch_size: [4, 8], max_queue_delay_microseconds: 2000 },
      parameters: { 'vision.decoder': { string_value: 'nanodet-gfl' } },
    });
    expect((config.output as { name: string }[]).map((output) => output.name)).toHaveLength(6);
    expect((await fetch(url('/v2/models/nanodet/versions/1/config'), withAuth())).status).toBe(200);
    expect((await fetch(url('/v2/models/nanodet/versions/5/config'), withAuth())).status).toBe(404);
  });

  it('answers a JSON infer request with exactly the tensors ONNX Runtime computes', async () => {
    const input = seededFloats(NANODET_INPUT_SIZE, 7);
    const response = await fetch(
      url('/v2/models/nanodet/infer'),
      withAuth({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: 'req-1',
          inputs: [
            { name: 'images', datatype: 'FP32', shape: [1, 3, 416, 416], data: Array.from(input) },
          ],
        }),
      }),
    );
    const json = (await response.json()) as {
      id: string;
      model_name: string;
      model_version: string;
      outputs: OutputJson[];
    };
    expect([response.status, json]).toMatchObject([
      200,
      { id: 'req-1', model_name: 'nanodet', model_version: '1' },
    ]);
    const reference = await nanodetReference(input, 1);
    expect(json.outputs.map((output) => output.name)).toEqual([...NANODET_OUTPUTS]);
    for (const output of json.outputs) {
      expect(Float32Array.from(output.data ?? [])).toEqual(reference[output.name]);
    }
  });

  it('speaks the binary tensor data extension, batch of 2, bit-identical to ONNX Runtime', async () => {
    const input = seededFloats(2 * NANODET_INPUT_SIZE, 11);
    const { body, headerLength } = nanodetBinaryInferBody(input, 2);
    const response = await fetch(
      url('/v2/models/nanodet/versions/1/infer'),
      withAuth({
        method: 'POST',
        headers: {
          'content-type': 'application/octet-stream',
          'Inference-Header-Content-Length': String(headerLength),
        },
        body,
      }),
    );
    expect(response.status).toBe(200);
    const replyHeaderLength = Number(response.headers.get('inference-header-content-length'));
    expect(replyHeaderLength).toBeGreaterThan(0);
    const outputs = parseBinaryResponse(
      Buffer.from(await response.arrayBuffer()),
      replyHeaderLength,
    );
    const reference = await nanodetReference(input, 2);
    for (const name of NANODET_OUTPUTS) expect(outputs[name]).toEqual(reference[name]);
  });

  it('returns only the requested outputs, as binary when binary_data_output is set', async () => {
    const input = seededFloats(NANODET_INPUT_SIZE, 3);
    const header = Buffer.from(
      JSON.stringify({
        parameters: { binary_data_output: true },
        inputs: [
          {
            name: 'images',
            datatype: 'FP32',
            shape: [1, 3, 416, 416],
            parameters: { binary_data_size: input.byteLength },
          },
        ],
        outputs: [{ name: 'cls_s32' }],
      }),
    );
    const response = await fetch(
      url('/v2/models/nanodet/infer'),
      withAuth({
        method: 'POST',
        headers: { 'Inference-Header-Content-Length': String(header.byteLength) },
        body: Buffer.concat([header, Buffer.from(input.buffer)]),
      }),
    );
    expect(response.status).toBe(200);
    const outputs = parseBinaryResponse(
      Buffer.from(await response.arrayBuffer()),
      Number(response.headers.get('inference-header-content-length')),
    );
    expect(Object.keys(outputs)).toEqual(['cls_s32']);
    expect(outputs.cls_s32).toEqual((await nanodetReference(input, 1)).cls_s32);
  });
});
