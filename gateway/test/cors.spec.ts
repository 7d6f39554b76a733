/**
 * CORS on the gateway's HTTP server, at the protocol level (the browser's side is
 * browser/cors-browser.spec.ts): a configured origin's preflight is answered without a credential
 * and allows the headers clients send; the real call still needs its credential; another origin
 * gets no Access-Control-Allow-Origin; without GATEWAY_CORS_ORIGINS there is no CORS at all.
 */
import { authHeaders, sampleImage, startTestGateway, type TestGateway } from './test-gateway';

const ALLOWED = 'https://app.example.com';
const OTHER = 'https://evil.example.net';

const preflight = (url: string, origin: string, headers = 'x-api-key, content-type') =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': headers,
    },
  });

describe('CORS with GATEWAY_CORS_ORIGINS', () => {
  let gateway: TestGateway;
  let detectUrl: string;

  beforeAll(async () => {
    gateway = await startTestGateway({ GATEWAY_CORS_ORIGINS: `${ALLOWED}, http://localhost:5173` });
    detectUrl = `${gateway.httpUrl}/v1/models/nanodet/detect`;
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it("answers a configured origin's preflight without a credential", async () => {
    const response = await preflight(detectUrl, ALLOWED);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('vary')).toMatch(/origin/i);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = (response.headers.get('access-control-allow-headers') ?? '').split(/,\s*/);
    for (const header of [
      'x-api-key',
      'authorization',
      'content-type',
      'x-request-id',
      'x-request-timeout',
      'x-priority',
      'inference-header-content-length',
      'traceparent',
    ]) {
      expect(allowed).toContain(header);
    }
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    // Never credentials mode: keys travel in headers, not cookies.
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    // A preflight of any route, an unknown one included, is answered alike (it reveals nothing).
    expect((await preflight(`${gateway.httpUrl}/admin/api-keys`, ALLOWED)).status).toBe(204);
  });

  it('still authenticates the real call, and lets the page read the answer either way', async () => {
    const image = sampleImage('messi5.jpg');
    const anonymous = await fetch(detectUrl, {
      method: 'POST',
      headers: { origin: ALLOWED, 'content-type': 'image/jpeg' },
      body: image,
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('access-control-allow-origin')).toBe(ALLOWED);

    const called = await fetch(detectUrl, {
      method: 'POST',
      headers: { ...authHeaders(), origin: ALLOWED, 'content-type': 'image/jpeg' },
      body: image,
    });
    expect(called.status).toBe(200);
    expect(called.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const exposed = (called.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
    for (const header of [
      'x-request-id',
      'retry-after',
      'ratelimit',
      'ratelimit-policy',
      'inference-header-content-length',
    ]) {
      expect(exposed).toContain(header);
    }
    // CORP same-origin stays: it governs no-cors loads (an <img>), not CORS fetches, which the
    // browser test shows a configured origin reading.
    expect(called.headers.get('cross-origin-resource-policy')).toBe('same-origin');
  });

  it('gives another origin no Access-Control-Allow-Origin, so its browser refuses the answer', async () => {
    const response = await preflight(detectUrl, OTHER);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const called = await fetch(detectUrl, {
      method: 'POST',
      headers: { ...authHeaders(), origin: OTHER, 'content-type': 'image/jpeg' },
      body: sampleImage('messi5.jpg'),
    });
    expect(called.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses an OPTIONS that is not a preflight, still without reading a credential', async () => {
    const response = await fetch(detectUrl, { method: 'OPTIONS' });
    expect(response.status).toBe(400);
  });
});

describe('CORS off (the default)', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('sends no CORS headers and answers no preflight', async () => {
    const response = await preflight(`${gateway.httpUrl}/v1/models/nanodet/detect`, ALLOWED);
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const health = await fetch(`${gateway.httpUrl}/healthz`, { headers: { origin: ALLOWED } });
    expect(health.headers.get('access-control-allow-origin')).toBeNull();
  });
});
