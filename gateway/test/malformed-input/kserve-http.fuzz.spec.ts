import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { NANODET_INPUT_SIZE } from '../nanodet-reference';
import { authHeaders } from '../test-gateway';
import { startMeteredGateway, type MeteredGateway } from '../hostile/cost-meter';
import { assertCheaply } from './cheap-property';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters } from './fuzz-settings';
import { expectSuccessOrClientError, send, type HttpOutcome } from './http-outcome';
import {
  binaryBody,
  corruptCompressedBody,
  deeplyNested,
  jsonBody,
  nearValidJson,
  type InferBody,
} from './kserve-arbitraries';

const INFER = '/v2/models/nanodet/infer';

/** A well-formed binary infer request for nanodet: what must still work after the fuzzing. */
function validInfer(): InferBody {
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'images',
          datatype: 'FP32',
          shape: [1, 3, 416, 416],
          parameters: { binary_data_size: NANODET_INPUT_SIZE * 4 },
        },
      ],
      outputs: [{ name: 'cls_s32', parameters: { binary_data: true } }],
    }),
  );
  return {
    body: Buffer.concat([header, Buffer.alloc(NANODET_INPUT_SIZE * 4)]),
    headers: { 'inference-header-content-length': String(header.byteLength) },
  };
}

function compress(encoding: string, body: Buffer): Buffer {
  return /deflate/i.test(encoding) ? deflateSync(body) : gzipSync(body);
}

jest.setTimeout(FUZZ_TEST_TIMEOUT_MS);

describe('malformed input: KServe v2 REST infer (property-based)', () => {
  let gateway: MeteredGateway;

  const post = (request: InferBody, path = INFER): Promise<HttpOutcome> =>
    send(gateway.httpUrl, path, {
      method: 'POST',
      headers: { ...authHeaders(), ...request.headers },
      body: request.body,
    });

  beforeAll(async () => {
    gateway = await startMeteredGateway();
  });
  afterAll(() => gateway.kill());

  // Each property leaves the gateway serving: a valid infer still succeeds.
  afterEach(async () => {
    const outcome = await post(validInfer());
    expect(outcome.status).toBe(200);
  });

  it('answers arbitrary model names, versions and methods in the path with a typed 4xx', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'nanodet',
        '1',
        '',
        '..',
        '.',
        '%',
        '%zz',
        '%00',
        '%2F',
        '%C0%AF',
        'nanodet%00',
      ),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.string({ unit: 'binary', maxLength: 6 }).map(encodeURIComponent),
      fc.constant('x'.repeat(5000)),
    );
    const route = fc.oneof(
      fc.tuple(
        fc.constant('/v2/models/'),
        segment,
        fc.constantFrom('', '/ready', '/config', '/infer'),
      ),
      fc.tuple(
        fc.constant('/v2/models/nanodet/versions/'),
        segment,
        fc.constantFrom('', '/ready', '/infer'),
      ),
      fc.tuple(
        fc.constant('/v1/models/'),
        segment,
        fc.constantFrom('/detect', '/versions/1/detect'),
      ),
    );
    await assertCheaply(
      gateway,
      fc.asyncProperty(
        route,
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        async (parts, method) => {
          const outcome = await send(gateway.httpUrl, parts.join(''), {
            method,
            headers: { ...authHeaders(), 'content-type': 'application/json' },
            body: method === 'GET' ? undefined : '{}',
          });
          expectSuccessOrClientError(outcome);
        },
      ),
      fuzzParameters(150),
    );
  });

  it('answers arbitrary JSON with 200 or a typed 4xx, never a 5xx', async () => {
    await assertCheaply(
      gateway,
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        expectSuccessOrClientError(await post(jsonBody(value)));
      }),
      fuzzParameters(150),
    );
  });

  it('answers arbitrary bytes and text with a typed 4xx', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((array) => Buffer.from(array)),
      fc.string({ unit: 'binary', maxLength: 128 }).map((text) => Buffer.from(text)),
    );
    await assertCheaply(
      gateway,
      fc.asyncProperty(
        bytes,
        fc.constantFrom('application/json', 'text/plain', ''),
        async (body, type) => {
          const headers: Record<string, string> = type ? { 'content-type': type } : {};
          expectSuccessOrClientError(await post({ body, headers }));
        },
      ),
      fuzzParameters(100),
    );
  });

  it('names what is wrong in near-valid JSON bodies (shapes, datatypes, lengths, huge dims)', async () => {
    await assertCheaply(
      gateway,
      fc.asyncProperty(
        nearValidJson,
        fc.constantFrom(INFER, '/v2/models/nanodet/versions/1/infer'),
        async (json, path) => {
          expectSuccessOrClientError(await post(jsonBody(json), path));
        },
      ),
      fuzzParameters(150),
    );
  });

  it('survives JSON nested far deeper than any tensor', async () => {
    await assertCheaply(
      gateway,
      fc.asyncProperty(deeplyNested, async (request) => {
        expectSuccessOrClientError(await post(request), [400]);
      }),
      fuzzParameters(12),
    );
  });

  it('checks binary extension bodies: header length, binary_data_size, truncated or oversized parts', async () => {
    await assertCheaply(
      gateway,
      fc.asyncProperty(binaryBody, async (request) => {
        expectSuccessOrClientError(await post(request));
      }),
      fuzzParameters(150),
    );
  });

  it('refuses corrupt gzip/deflate bodies and unknown encodings with 400/415', async () => {
    await assertCheaply(
      gateway,
      fc.asyncProperty(corruptCompressedBody(compress), async (request) => {
        expectSuccessOrClientError(await post(request));
      }),
      fuzzParameters(150),
    );
  });
});
