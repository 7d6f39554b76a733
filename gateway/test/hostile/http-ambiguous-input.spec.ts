/**
 * The smaller HTTP findings of issue 10 (finding 9): two credentials where the first used to win, a
 * deeply nested admin scope that overflowed the stack (500), query values coerced into numbers or
 * read as "no filter", and what Node's HTTP parser refuses before Fastify sees a request (answered
 * without the error shape or the security headers).
 */
import { sampleImage, TEST_API_KEY } from '../test-gateway';
import { expectErrorBody, expectSecurityHeaders } from '../malformed-input/http-outcome';
import {
  describeCost,
  expectCheap,
  measureCost,
  startMeteredGateway,
  type MeteredGateway,
} from './cost-meter';
import { openRaw, requestHead, within } from './raw-http';

const OTHER_KEY = 'tcg_OtherGateway_tkxgIWMDJQGZxB-hJkmWcx-cB40nRxXn5G3984mz7l0';

describe('hostile HTTP: ambiguous and malformed input', () => {
  let gateway: MeteredGateway;
  beforeAll(async () => {
    gateway = await startMeteredGateway();
  });
  afterAll(() => gateway.kill());

  /** One request over a bare socket: `headers` may repeat a name. */
  async function rawExchange(head: string, path: string) {
    const connection = await openRaw(gateway.httpUrl, head, path);
    const answer = await within(connection.answer, 10_000, undefined);
    connection.socket.destroy();
    if (!answer) throw new Error(`no answer to ${JSON.stringify(head.slice(0, 80))}`);
    return answer;
  }

  it.each([
    [
      'two Authorization headers',
      [
        ['authorization', `Bearer ${TEST_API_KEY}`],
        ['authorization', `Bearer ${OTHER_KEY}`],
      ],
    ],
    [
      'two x-api-key headers',
      [
        ['x-api-key', TEST_API_KEY],
        ['x-api-key', OTHER_KEY],
      ],
    ],
    [
      'the same x-api-key twice',
      [
        ['x-api-key', TEST_API_KEY],
        ['x-api-key', TEST_API_KEY],
      ],
    ],
    [
      'x-api-key and Authorization',
      [
        ['x-api-key', TEST_API_KEY],
        ['Authorization', `Bearer ${TEST_API_KEY}`],
      ],
    ],
  ] as [string, [string, string][]][])('refuses %s as ambiguous (401)', async (_what, headers) => {
    const path = '/v2/models/nanodet';
    const answer = await rawExchange(requestHead('GET', path, headers), path);
    expect(answer.status).toBe(401);
    expect(expectErrorBody(answer)).toMatch(/more than one credential/);
    expectSecurityHeaders(answer);
  });

  it('answers a deeply nested admin scope 400, cheaply', async () => {
    const depth = 30_000; // 60 KB: under the 64 KiB body limit of the admin API
    const body = `{"tenant":"t","scopes":[${'['.repeat(depth)}${']'.repeat(depth)}]}`;
    const { cost, result } = await measureCost(gateway, async () => {
      const response = await fetch(`${gateway.httpUrl}/admin/api-keys`, {
        method: 'POST',
        headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'application/json' },
        body,
      });
      return { status: response.status, text: await response.text() };
    });
    console.log(`nested admin scope: ${describeCost(cost)}; ${result.status} ${result.text}`);
    expect(result.status).toBe(400);
    expect(result.text).toMatch(/nest/);
    expectCheap(cost, {}, 'a deeply nested admin scope');
  });

  it.each([
    ['scoreThreshold', 'scoreThreshold='],
    ['scoreThreshold', 'scoreThreshold=0x1'],
    ['scoreThreshold', 'scoreThreshold=%200.5'],
    ['scoreThreshold', 'scoreThreshold=1e-1'],
    ['iouThreshold', 'iouThreshold=0x0'],
    ['iouThreshold', 'iouThreshold=Infinity'],
    ['maxDetections', 'maxDetections='],
    ['maxDetections', 'maxDetections=0x10'],
    ['maxDetections', 'maxDetections=1e2'],
    ['classes', 'classes=,,,'],
    ['classes', 'classes='],
    ['classes', 'classes=person,,car'],
  ])('refuses the query value of %s in ?%s (400 naming it)', async (name, query) => {
    const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect?${query}`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'image/jpeg' },
      body: sampleImage('messi5.jpg'),
    });
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(response.status).toBe(400);
    expect(body.error.code).toBe('invalid_argument');
    expect(body.error.message).toContain(`'${name}'`);
  });

  it('still takes well-formed query values', async () => {
    const response = await fetch(
      `${gateway.httpUrl}/v1/models/nanodet/detect?scoreThreshold=0.5&iouThreshold=.45&maxDetections=10&classes=person,%20sports%20ball`,
      {
        method: 'POST',
        headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'image/jpeg' },
        body: sampleImage('messi5.jpg'),
      },
    );
    expect(response.status).toBe(200);
  });

  it.each([
    ['a malformed request line', 400, 'GARBAGE\r\n\r\n'],
    [
      'a content-length that is not a number',
      400,
      'POST /v2 HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n',
    ],
    ['a header without a colon', 400, 'GET /healthz HTTP/1.1\r\nhost: x\r\nnot a header\r\n\r\n'],
    [
      'headers over 16 KiB',
      431,
      requestHead('GET', '/healthz', [['x-filler', 'x'.repeat(20_000)]]),
    ],
  ] as [string, number, string][])(
    'answers %s %d in the error shape, with the security headers',
    async (_what, status, head) => {
      const answer = await rawExchange(head, '/');
      expect(answer.status).toBe(status);
      expectErrorBody(answer);
      expectSecurityHeaders(answer);
    },
  );
});
