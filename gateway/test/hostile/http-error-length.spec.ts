/**
 * Error answers never echo caller input at full length (issue 10, finding 9): whatever the length
 * of a model name, query value, header value, tensor or field name, the answer stays short and says
 * how long the value was.
 */
import { sampleImage, TEST_API_KEY } from '../test-gateway';
import { expectErrorBody, expectSecurityHeaders, send } from '../malformed-input/http-outcome';
import { startMeteredGateway, type MeteredGateway } from './cost-meter';

/** Longest error answer allowed, whatever the input. */
const MAX_ANSWER_BYTES = 2048;
/** Long, but under Node's 16 KiB limit on a request head. */
const LONG = 'v'.repeat(10_000);
/** Far over anything an error message should quote: only in bodies. */
const HUGE = 'n'.repeat(200_000);

const auth = { 'x-api-key': TEST_API_KEY };
const json = { ...auth, 'content-type': 'application/json' };
const jpeg = { ...auth, 'content-type': 'image/jpeg' };

/** A nanodet request, valid unless `input` or `outputs` say otherwise. */
const inferBody = (input: Record<string, unknown>, outputs?: unknown[]): string =>
  JSON.stringify({
    inputs: [
      {
        name: 'images',
        datatype: 'FP32',
        shape: [1, 3, 416, 416],
        data: new Array(3 * 416 * 416).fill(0),
        ...input,
      },
    ],
    ...(outputs ? { outputs } : {}),
  });

const CASES: [string, string, RequestInit][] = [
  ['a long model name', `/v2/models/${LONG}`, { headers: auth }],
  ['a long version', `/v2/models/nanodet/versions/${LONG}`, { headers: auth }],
  [
    'a long query parameter name',
    `/v1/models/nanodet/detect?${LONG}=1`,
    { method: 'POST', headers: jpeg },
  ],
  [
    'a long query value',
    `/v1/models/nanodet/detect?scoreThreshold=${LONG}`,
    { method: 'POST', headers: jpeg },
  ],
  [
    'a long class name',
    `/v1/models/nanodet/detect?classes=${LONG}`,
    { method: 'POST', headers: jpeg },
  ],
  [
    'many class names',
    `/v1/models/nanodet/detect?classes=${'nope,'.repeat(2000)}x`,
    { method: 'POST', headers: jpeg },
  ],
  [
    'a long x-priority',
    '/v1/models/nanodet/detect',
    { method: 'POST', headers: { ...jpeg, 'x-priority': LONG } },
  ],
  [
    'a long x-request-timeout',
    '/v1/models/nanodet/detect',
    { method: 'POST', headers: { ...jpeg, 'x-request-timeout': LONG } },
  ],
  [
    'a long content-type',
    '/v1/models/nanodet/detect',
    { method: 'POST', headers: { ...auth, 'content-type': `image/${LONG}` } },
  ],
  [
    'a long content-encoding',
    '/v1/models/nanodet/detect',
    { method: 'POST', headers: { ...jpeg, 'content-encoding': LONG } },
  ],
  ['a long x-api-key', '/v2/models/nanodet', { headers: { 'x-api-key': `tcg_${LONG}` } }],
  ['a long bearer token', '/v2/models/nanodet', { headers: { authorization: `Bearer ${LONG}` } }],
  [
    'a long authorization scheme',
    '/v2/models/nanodet',
    { headers: { authorization: `${LONG} x` } },
  ],
  ['a long key id to revoke', `/admin/api-keys/${LONG}`, { method: 'DELETE', headers: auth }],
  [
    'a long input name',
    '/v2/models/nanodet/infer',
    { method: 'POST', headers: json, body: inferBody({ name: HUGE }) },
  ],
  [
    'a long datatype',
    '/v2/models/nanodet/infer',
    { method: 'POST', headers: json, body: inferBody({ datatype: HUGE }) },
  ],
  [
    'a long shape',
    '/v2/models/nanodet/infer',
    { method: 'POST', headers: json, body: inferBody({ shape: new Array(50_000).fill(1) }) },
  ],
  [
    'a long output name',
    '/v2/models/nanodet/infer',
    { method: 'POST', headers: json, body: inferBody({}, [{ name: HUGE }]) },
  ],
  [
    'a long tenant',
    '/admin/api-keys',
    {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ tenant: 'v'.repeat(60_000), scopes: ['admin'] }),
    },
  ],
  [
    'a long scope',
    '/admin/api-keys',
    {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ tenant: 't', scopes: [`x${'v'.repeat(60_000)}`] }),
    },
  ],
  [
    'many unknown fields',
    '/admin/api-keys',
    {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        tenant: 't',
        scopes: ['admin'],
        ...Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`field${i}`, 1])),
      }),
    },
  ],
  [
    'a long unknown field',
    '/admin/api-keys',
    {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ tenant: 't', scopes: ['admin'], [LONG]: 1 }),
    },
  ],
];

describe('hostile HTTP: error answers quoting caller input', () => {
  let gateway: MeteredGateway;
  beforeAll(async () => {
    gateway = await startMeteredGateway();
  });
  afterAll(() => gateway.kill());

  it.each(CASES)('cuts %s', async (_what, path, init) => {
    const image = init.headers && 'content-type' in init.headers && !init.body;
    const outcome = await send(gateway.httpUrl, path, {
      ...init,
      ...(image ? { body: sampleImage('messi5.jpg') } : {}),
    });
    expect(outcome.status).toBeGreaterThanOrEqual(400);
    expect(outcome.status).toBeLessThan(500);
    expectErrorBody(outcome);
    expectSecurityHeaders(outcome);
    if (outcome.body.length > MAX_ANSWER_BYTES) {
      throw new Error(
        `${outcome.status} answer of ${outcome.body.length} bytes (bound ${MAX_ANSWER_BYTES}): ${outcome.body.toString('utf8', 0, 300)}…`,
      );
    }
  });
});
