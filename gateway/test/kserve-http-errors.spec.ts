import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import type { RunningGateway } from '../src/gateway-app';
import { NANODET_INPUT_SIZE } from './nanodet-reference';
import { startTestGateway, withAuth } from './test-gateway';

const SHAPE = [1, 3, 416, 416];

function jsonInfer(inputs: unknown[], extra: Record<string, unknown> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs, ...extra }),
  };
}

function binaryInfer(header: unknown, binary: Buffer, headerLength?: number): RequestInit {
  const json = Buffer.from(JSON.stringify(header));
  return {
    method: 'POST',
    headers: { 'Inference-Header-Content-Length': String(headerLength ?? json.byteLength) },
    body: Buffer.concat([json, binary]),
  };
}

const zeros = (count: number): Buffer => Buffer.alloc(count * 4);

/** Each case: what a client sent, the status it must get, and words the error must contain. */
const CASES: {
  name: string;
  path?: string;
  init: () => RequestInit;
  status: number;
  message: RegExp;
}[] = [
  {
    name: 'unknown model',
    path: '/v2/models/yolo/infer',
    init: () => jsonInfer([{ name: 'images', datatype: 'FP32', shape: [1], data: [0] }]),
    status: 404,
    message: /unknown model 'yolo'/,
  },
  {
    name: 'unknown version',
    path: '/v2/models/nanodet/versions/9/infer',
    init: () => jsonInfer([{ name: 'images', datatype: 'FP32', shape: [1], data: [0] }]),
    status: 404,
    message: /no version '9'/,
  },
  {
    name: 'wrong input name',
    init: () =>
      binaryInfer(
        {
          inputs: [
            {
              name: 'image',
              datatype: 'FP32',
              shape: SHAPE,
              parameters: { binary_data_size: NANODET_INPUT_SIZE * 4 },
            },
          ],
        },
        zeros(NANODET_INPUT_SIZE),
      ),
    status: 400,
    message: /unexpected input 'image'.*expected 'images'/,
  },
  {
    name: 'wrong datatype',
    init: () =>
      binaryInfer(
        {
          inputs: [
            {
              name: 'images',
              datatype: 'INT32',
              shape: SHAPE,
              parameters: { binary_data_size: NANODET_INPUT_SIZE * 4 },
            },
          ],
        },
        zeros(NANODET_INPUT_SIZE),
      ),
    status: 400,
    message: /'images': datatype INT32 does not match the model's FP32/,
  },
  {
    name: 'unknown datatype',
    init: () => jsonInfer([{ name: 'images', datatype: 'FLOAT', shape: [1], data: [0] }]),
    status: 400,
    message: /unknown datatype 'FLOAT'/,
  },
  {
    name: 'wrong shape',
    init: () =>
      binaryInfer(
        {
          inputs: [
            {
              name: 'images',
              datatype: 'FP32',
              shape: [1, 3, 320, 320],
              parameters: { binary_data_size: 3 * 320 * 320 * 4 },
            },
          ],
        },
        zeros(3 * 320 * 320),
      ),
    status: 400,
    message: /'images': shape \[1,3,320,320\] does not match \[-1,3,416,416\]/,
  },
  {
    name: 'batch above max_batch_size',
    init: () =>
      binaryInfer(
        {
          inputs: [
            {
              name: 'images',
              datatype: 'FP32',
              shape: [9, 3, 416, 416],
              parameters: { binary_data_size: 9 * NANODET_INPUT_SIZE * 4 },
            },
          ],
        },
        zeros(9 * NANODET_INPUT_SIZE),
      ),
    status: 400,
    message: /batch size 9 is outside 1\.\.8/,
  },
  {
    name: 'binary data length not matching the shape',
    init: () =>
      binaryInfer(
        {
          inputs: [
            {
              name: 'images',
              datatype: 'FP32',
              shape: SHAPE,
              parameters: { binary_data_size: 400 },
            },
          ],
        },
        zeros(100),
      ),
    status: 400,
    message: /'images': expected 2076672 bytes of FP32 data for shape \[1,3,416,416\], got 400/,
  },
  {
    name: 'JSON data count not matching the shape',
    init: () => jsonInfer([{ name: 'images', datatype: 'FP32', shape: SHAPE, data: [1, 2, 3] }]),
    status: 400,
    message: /'images': shape \[1,3,416,416\] needs 519168 elements, got 3/,
  },
  {
    name: 'non-numeric JSON element',
    init: () =>
      jsonInfer([
        {
          name: 'images',
          datatype: 'FP32',
          shape: SHAPE,
          data: [1, 'x', ...new Array<number>(NANODET_INPUT_SIZE - 2).fill(0)],
        },
      ]),
    status: 400,
    message: /element 1 must be a finite number, got "x"/,
  },
  {
    // Regression (issue 10): elements were decoded before the model was consulted.
    name: 'JSON data of the wrong datatype, checked before any element is read',
    init: () => jsonInfer([{ name: 'images', datatype: 'BYTES', shape: [3], data: ['', '', ''] }]),
    status: 400,
    message: /input 'images': datatype BYTES does not match the model's FP32/,
  },
  {
    name: 'an output requested twice',
    init: () =>
      binaryInfer(
        {
          inputs: [
            {
              name: 'images',
              datatype: 'FP32',
              shape: SHAPE,
              parameters: { binary_data_size: NANODET_INPUT_SIZE * 4 },
            },
          ],
          outputs: [{ name: 'cls_s8' }, { name: 'reg_s8' }, { name: 'cls_s8' }],
        },
        zeros(NANODET_INPUT_SIZE),
      ),
    status: 400,
    message: /output 'cls_s8' is requested more than once/,
  },
  {
    name: 'a JSON answer that could pass the body limit',
    init: () =>
      binaryInfer(
        {
          inputs: [
            {
              name: 'images',
              datatype: 'FP32',
              shape: [2, 3, 416, 416],
              parameters: { binary_data_size: 2 * NANODET_INPUT_SIZE * 4 },
            },
          ],
        },
        zeros(2 * NANODET_INPUT_SIZE),
      ),
    status: 413,
    message:
      /answer would take up to \d+ bytes as JSON, over the GATEWAY_MAX_BODY_BYTES limit of 20971520; .*binary tensor data extension/,
  },
  {
    name: 'JSON outside the data arrays over 64 KiB',
    init: () =>
      jsonInfer([{ name: 'images', datatype: 'FP32', shape: [1], data: [0] }], {
        id: 'i'.repeat(70_000),
      }),
    status: 400,
    message: /JSON outside the inputs' data arrays is over the 65536-byte limit/,
  },
  {
    // Regression (fuzzing): flattening this recursively overflowed the stack and answered 500.
    name: 'JSON data nested thousands of arrays deep',
    init: () => ({
      ...jsonInfer([]),
      body: `{"inputs":[{"name":"images","datatype":"FP32","shape":[1],"data":${'['.repeat(10_000)}0${']'.repeat(10_000)}}]}`,
    }),
    status: 400,
    message: /input 'images': data nests arrays more than 64 deep/,
  },
  {
    // Regression (fuzzing): the error message used to print the whole element, recursively.
    name: 'a deeply nested object as a JSON element',
    init: () => ({
      ...jsonInfer([]),
      body: `{"inputs":[{"name":"images","datatype":"FP32","shape":[1],"data":[${'{"a":'.repeat(10_000)}0${'}'.repeat(10_000)}]}]}`,
    }),
    status: 400,
    message:
      /input 'images': data element 0 is an object; tensor elements are numbers, booleans or strings/,
  },
  {
    name: 'binary_data_size overrunning the body',
    init: () =>
      binaryInfer(
        {
          inputs: [
            {
              name: 'images',
              datatype: 'FP32',
              shape: SHAPE,
              parameters: { binary_data_size: NANODET_INPUT_SIZE * 4 },
            },
          ],
        },
        zeros(10),
      ),
    status: 400,
    message: /binary_data_size 2076672 overruns the 40 binary bytes/,
  },
  {
    name: 'binary bytes no input accounts for',
    init: () =>
      binaryInfer(
        { inputs: [{ name: 'images', datatype: 'FP32', shape: [1], data: [0] }] },
        zeros(4),
      ),
    status: 400,
    message: /16 bytes of binary data that no input's binary_data_size accounts for/,
  },
  {
    name: 'header length beyond the body',
    init: () => binaryInfer({ inputs: [] }, Buffer.alloc(0), 99999),
    status: 400,
    message: /Inference-Header-Content-Length "99999" must be an integer/,
  },
  {
    name: 'missing input',
    init: () => jsonInfer([]),
    status: 400,
    message: /at 'inputs'/,
  },
  {
    name: 'input given twice',
    init: () =>
      jsonInfer([
        {
          name: 'images',
          datatype: 'FP32',
          shape: [1, 3, 416, 416],
          parameters: { binary_data_size: 0 },
        },
        {
          name: 'images',
          datatype: 'FP32',
          shape: [1, 3, 416, 416],
          parameters: { binary_data_size: 0 },
        },
      ]),
    status: 400,
    message: /'images'/,
  },
  {
    name: 'unknown requested output',
    init: () =>
      binaryInfer(
        {
          inputs: [
            {
              name: 'images',
              datatype: 'FP32',
              shape: SHAPE,
              parameters: { binary_data_size: NANODET_INPUT_SIZE * 4 },
            },
          ],
          outputs: [{ name: 'boxes' }],
        },
        zeros(NANODET_INPUT_SIZE),
      ),
    status: 400,
    message: /unknown output 'boxes'/,
  },
  {
    name: 'invalid JSON',
    init: () => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"inputs": [',
    }),
    status: 400,
    message: /not valid JSON/,
  },
  {
    name: 'empty body',
    init: () => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }),
    status: 400,
    message: /.+/,
  },
  {
    name: 'an unsupported content-encoding',
    init: () => ({ method: 'POST', headers: { 'content-encoding': 'br' }, body: Buffer.from('x') }),
    status: 415,
    message: /content-encoding 'br' is not supported/,
  },
  {
    name: 'a corrupt gzip body',
    init: () => ({
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: Buffer.from('not gzip'),
    }),
    status: 400,
    message: /not valid gzip data/,
  },
  {
    name: 'a gzip body inflating past the limit',
    init: () => ({
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.alloc(40 * 1024 * 1024)),
    }),
    status: 413,
    message: /inflates beyond the 20971520-byte limit/,
  },
  {
    // Regression (issue 10): the raw-deflate fallback answered 400.
    name: 'a zlib deflate body inflating past the limit',
    init: () => ({
      method: 'POST',
      headers: { 'content-encoding': 'deflate' },
      body: deflateSync(Buffer.alloc(40 * 1024 * 1024)),
    }),
    status: 413,
    message: /deflate body inflates beyond the 20971520-byte limit/,
  },
  {
    name: 'a raw deflate body (as some clients send), refused by the model check',
    init: () => ({
      method: 'POST',
      headers: { 'content-encoding': 'deflate' },
      body: deflateRawSync(
        JSON.stringify({ inputs: [{ name: 'images', datatype: 'FP32', shape: [1], data: [0] }] }),
      ),
    }),
    status: 400,
    message: /input 'images': shape \[1\] has rank 1/,
  },
  {
    name: 'body over the configured limit',
    init: () => ({
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(21 * 1024 * 1024),
    }),
    status: 413,
    message: /too large/,
  },
];

describe('KServe v2 REST bad input', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ GATEWAY_MAX_BODY_BYTES: String(20 * 1024 * 1024) });
  });
  afterAll(() => gateway.close());

  it.each(CASES)(
    '$name → $status with a KServe error body',
    async ({ path, init, status, message }) => {
      const response = await fetch(
        `${gateway.httpUrl}${path ?? '/v2/models/nanodet/infer'}`,
        withAuth(init()),
      );
      const body = (await response.json()) as { error: unknown };
      expect({ status: response.status, error: body.error }).toEqual({
        status,
        error: expect.stringMatching(message),
      });
    },
  );

  it('answers unknown models and versions on metadata and readiness with 404', async () => {
    for (const path of [
      '/v2/models/yolo',
      '/v2/models/yolo/ready',
      '/v2/models/nanodet/versions/2',
      '/v2/models/nanodet/versions/2/ready',
    ]) {
      const response = await fetch(`${gateway.httpUrl}${path}`, withAuth());
      expect([path, response.status]).toEqual([path, 404]);
      expect(((await response.json()) as { error: string }).error).toMatch(/yolo|version '2'/);
    }
  });
});
