/**
 * Metric label cardinality (issue 10, finding 5): requests naming models and versions the backend
 * does not serve, anonymous ones included, must not create metric series. Before the fix each
 * request added its own `model`/`version` series to the request histogram (3,000 anonymous
 * requests: +51,000 series, /metrics from 196 KiB to 12.9 MiB).
 */
import { randomBytes } from 'node:crypto';
import { authHeaders, sampleImage } from '../test-gateway';
import {
  describeCost,
  expectCheap,
  measureCost,
  startMeteredGateway,
  type MeteredGateway,
} from './cost-meter';

const KIB = 1024;

/** A name nobody serves, different every time (URL-safe, up to the router's 100 characters). */
const randomName = (): string => randomBytes(12 + Math.floor(Math.random() * 30)).toString('hex');

/** Requests whose path names a random model and version, on every route family. */
function randomRequest(baseUrl: string, authenticated: boolean): Promise<Response> {
  const model = randomName();
  const version = randomName();
  const headers: Record<string, string> = authenticated ? authHeaders() : {};
  const paths: [string, string][] = [
    ['GET', `/v2/models/${model}`],
    ['GET', `/v2/models/${model}/versions/${version}`],
    ['GET', `/v2/models/${model}/versions/${version}/ready`],
    ['POST', `/v2/models/${model}/versions/${version}/infer`],
    ['POST', `/v1/models/${model}/detect`],
    ['GET', `/no/such/${model}/${version}`],
  ];
  const [method, path] = paths[Math.floor(Math.random() * paths.length)];
  return fetch(`${baseUrl}${path}`, {
    method,
    headers: method === 'POST' ? { ...headers, 'content-type': 'application/json' } : headers,
    body: method === 'POST' ? '{}' : undefined,
  });
}

async function send(baseUrl: string, count: number, authenticated: boolean): Promise<number[]> {
  const statuses: number[] = [];
  // 16 at a time: many callers, without turning the test into a load test.
  for (let sent = 0; sent < count; sent += 16) {
    const batch = Array.from({ length: Math.min(16, count - sent) }, () =>
      randomRequest(baseUrl, authenticated).then(async (response) => {
        await response.arrayBuffer();
        return response.status;
      }),
    );
    statuses.push(...(await Promise.all(batch)));
  }
  return statuses;
}

interface Scrape {
  bytes: number;
  series: number;
}

async function scrape(baseUrl: string): Promise<Scrape> {
  const text = await (await fetch(`${baseUrl}/metrics`, { headers: authHeaders() })).text();
  // The gateway's own metrics: Node's default ones (GC kinds, ...) may add series of their own.
  const lines = text.split('\n').filter((line) => line.startsWith('gateway_'));
  return { bytes: Buffer.byteLength(lines.join('\n')), series: lines.length };
}

describe('hostile HTTP: metric series from caller-chosen names', () => {
  let gateway: MeteredGateway;
  beforeAll(async () => {
    gateway = await startMeteredGateway();
  });
  afterAll(() => gateway.kill());

  it('3,000 requests with random model/version names add no series and /metrics stays the same size', async () => {
    // Every route and status seen once, so the series they may legitimately create exist already,
    // and the normal detect the cost meter probes with.
    const detect = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
      body: sampleImage('messi5.jpg'),
    });
    expect(detect.status).toBe(200);
    await send(gateway.httpUrl, 200, false);
    await send(gateway.httpUrl, 200, true);
    await scrape(gateway.httpUrl); // a scrape is timed too: its own series
    const before = await scrape(gateway.httpUrl);
    const { cost, result } = await measureCost(gateway, async () => [
      ...(await send(gateway.httpUrl, 3000, false)),
      ...(await send(gateway.httpUrl, 500, true)),
    ]);
    const after = await scrape(gateway.httpUrl);
    console.log(
      `3,500 requests with random names: ${describeCost(cost)}; series ${before.series} -> ${after.series}, ` +
        `/metrics ${(before.bytes / KIB).toFixed(0)} -> ${(after.bytes / KIB).toFixed(0)} KiB`,
    );
    expect(new Set(result.filter((status) => status >= 500))).toEqual(new Set());
    expect(after.series).toBe(before.series);
    // Counter values grow by a few digits; a new series would add hundreds of bytes each.
    expect(after.bytes - before.bytes).toBeLessThan(4 * KIB);
    expectCheap(cost, {}, 'requests with random model names');
  });
});
