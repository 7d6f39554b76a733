import { setTimeout as sleep } from 'node:timers/promises';
import { status, type ServiceError } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  type ModelInferResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import {
  NANODET_INPUT_SIZE,
  nanodetBinaryInferBody,
  nanodetInferRequest,
} from './nanodet-reference';
import {
  authHeaders,
  callUnary,
  createApiKey,
  grpcClient,
  sampleImage,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from './test-gateway';

// One tenant per test, so no test runs into another's window.
const LIMITS = {
  tenants: {
    'team-http': { requestsPerSecond: 2, imagesPerSecond: 0 },
    'team-grpc': { requestsPerSecond: 1, imagesPerSecond: 0 },
    'team-images': { perModel: { imagesPerSecond: 3 } },
    'team-detect': { requestsPerSecond: 2, imagesPerSecond: 0 },
    'team-undecodable': { requestsPerSecond: 2, imagesPerSecond: 0 },
  },
};

interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
}

/**
 * A KServe v2 REST infer call for nanodet (binary tensor data extension, `batch` images), its body
 * read in full: an unread 2 MB answer would hold its connection open and the gateway's close with it.
 */
async function inferOverHttp(gateway: TestGateway, apiKey: string, batch: number): Promise<Answer> {
  const infer = nanodetBinaryInferBody(seededFloats(batch * NANODET_INPUT_SIZE, batch), batch);
  const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet/infer`, {
    method: 'POST',
    headers: { ...authHeaders(apiKey), ...infer.headers },
    body: infer.body,
  });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, body };
}

/**
 * Calls sent at once to go over a limit of one 1-s window. On a loaded machine their arrivals can
 * straddle a window boundary, so all are served: such a round is sent again once its window ended.
 */
async function inOneWindow<T>(
  send: () => Promise<T>,
  allServed: (round: T) => boolean,
): Promise<T> {
  let round = await send();
  for (let retry = 0; retry < 2 && allServed(round); retry += 1) {
    await sleep(1100);
    round = await send();
  }
  return round;
}

const errorOf = (answer: Answer): string =>
  (JSON.parse(answer.body.toString()) as { error: string }).error;

describe('tenant rate limits through a real gateway', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ GATEWAY_RATE_LIMITS: JSON.stringify(LIMITS) });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const keyFor = async (tenant: string) =>
    (await createApiKey(gateway.httpUrl, { tenant, scopes: ['infer:*'] })).key;

  it('HTTP: 429 with Retry-After and the IETF RateLimit fields beyond the tenant limit', async () => {
    const key = await keyFor('team-http');
    const responses = await inOneWindow(
      () => Promise.all([1, 2, 3].map(() => inferOverHttp(gateway, key, 1))),
      (answers) => answers.every((answer) => answer.status === 200),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 429]);

    const refused = responses.find((r) => r.status === 429)!;
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBe(1);
    expect(refused.headers.get('ratelimit-policy')).toBe('"tenant-requests";q=2;w=1');
    expect(refused.headers.get('ratelimit')).toMatch(/^"tenant-requests";r=0;t=1$/);
    expect(errorOf(refused)).toMatch(
      /^rate limit exceeded for tenant 'team-http': tenant-requests allows 2 requests per second/,
    );

    const metrics = await (
      await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() })
    ).text();
    expect(metrics).toMatch(
      /gateway_rate_limit_refusals_total\{tenant="team-http",limit="tenant-requests"\} 1\b/,
    );
  });

  it('HTTP: images per tenant × model count the batch, and the other tenants are not held up', async () => {
    const key = await keyFor('team-images');
    const [first, second] = await inOneWindow(
      () => Promise.all([inferOverHttp(gateway, key, 2), inferOverHttp(gateway, key, 2)]),
      (answers) => answers.every((answer) => answer.status === 200),
    );
    expect([first.status, second.status].sort()).toEqual([200, 429]);
    const refused = first.status === 429 ? first : second;
    expect(refused.headers.get('ratelimit-policy')).toContain('"model-images";q=3;w=1');
    expect(refused.headers.get('ratelimit')).toContain('"model-images";r=1;t=1');
    expect(errorOf(refused)).toMatch(
      /tenant 'team-images' on model 'nanodet': model-images allows 3 images per second/,
    );
    // A batch that can never fit is refused without a retry delay.
    const tooLarge = await inferOverHttp(gateway, key, 4);
    expect(tooLarge.status).toBe(429);
    expect(tooLarge.headers.get('retry-after')).toBeNull();
    // The admin tenant (unlimited per model) is served meanwhile.
    expect((await inferOverHttp(gateway, gateway.apiKey, 1)).status).toBe(200);
  });

  const detect = (apiKey: string, image: Buffer) =>
    fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
      method: 'POST',
      headers: { ...authHeaders(apiKey), 'content-type': 'image/jpeg' },
      body: image,
    }).then(async (response) => ({ status: response.status, body: await response.text() }));

  it('detect is charged once per call, before its image is decoded', async () => {
    // Two calls within a limit of two: both served (a call charged twice would exhaust it).
    const key = await keyFor('team-detect');
    const served = await Promise.all([1, 2].map(() => detect(key, sampleImage('messi5.jpg'))));
    expect(served.map((answer) => answer.status)).toEqual([200, 200]);
    // Undecodable bodies: the first two are charged and then refused as images; the third is
    // refused by the limit without being looked at.
    const undecodable = await keyFor('team-undecodable');
    const garbage = Buffer.from('not an image at all');
    const answers = [];
    for (let call = 0; call < 3; call += 1) answers.push(await detect(undecodable, garbage));
    expect(answers.map((answer) => answer.status)).toEqual([415, 415, 429]);
    expect(answers[2].body).toContain("rate limit exceeded for tenant 'team-undecodable'");
  });

  it('gRPC: RESOURCE_EXHAUSTED with the retry delay and the RateLimit fields in trailers', async () => {
    const key = await keyFor('team-grpc');
    const client = grpcClient(GRPCInferenceService, gateway.grpcAddress, { apiKey: key });
    try {
      const input = seededFloats(NANODET_INPUT_SIZE, 5);
      const results = await inOneWindow(
        () =>
          Promise.allSettled(
            ['a', 'b'].map((id) =>
              callUnary<ModelInferResponse>(
                client,
                'modelInfer',
                nanodetInferRequest(input, 1, { id }),
              ),
            ),
          ),
        (settled) => settled.every((result) => result.status === 'fulfilled'),
      );
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const error = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult)
        .reason as ServiceError;
      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(error.details).toMatch(/^rate limit exceeded for tenant 'team-grpc'/);
      const delay = Number(error.metadata.get('retry-after-ms')[0]);
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(1000);
      expect(error.metadata.get('grpc-retry-pushback-ms')).toEqual([String(delay)]);
      expect(error.metadata.get('ratelimit-policy')).toEqual(['"tenant-requests";q=1;w=1']);
      expect(error.metadata.get('ratelimit')).toEqual(['"tenant-requests";r=0;t=1']);
    } finally {
      client.close();
    }
  });
});
