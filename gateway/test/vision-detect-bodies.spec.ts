/**
 * Detect's body formats besides the raw image: multipart/form-data (one or more image parts) and
 * JSON with base64 images, through a real gateway serving the real nanodet. Each gives exactly the
 * boxes the raw bytes give; several images answer one result per image, in order, equal to
 * separate calls; each image is charged against the tenant's image rate limit; bad input is
 * refused with a typed 4xx naming the part or index.
 */
import { gzipSync } from 'node:zlib';
import { GatewayMetrics } from '../src/metrics/gateway-metrics';
import {
  authHeaders,
  createApiKey,
  sampleImage,
  startTestGateway,
  type TestGateway,
} from './test-gateway';

interface DetectAnswer {
  model: string;
  version: string;
  image: { width: number; height: number };
  detections: { label: string; classId: number; score: number; box: number[] }[];
  timingsMs: Record<string, number>;
}

const IMAGES = [
  { name: 'messi5.jpg', type: 'image/jpeg' },
  { name: 'basketball1.png', type: 'image/png' },
  { name: 'fruits.jpg', type: 'image/jpeg' },
] as const;

/** What must be equal between two answers for one image: all but the timings. */
const boxes = ({ model, version, image, detections }: DetectAnswer) => ({
  model,
  version,
  image,
  detections,
});

const LIMITS = {
  tenants: {
    'team-three': { perModel: { imagesPerSecond: 3 } },
    'team-four': { perModel: { imagesPerSecond: 3 } },
  },
};

describe('detect: multipart, base64 JSON and several images', () => {
  let gateway: TestGateway;
  const raw: DetectAnswer[] = [];

  const post = async (
    body: RequestInit['body'],
    headers: Record<string, string> = {},
    key?: string,
  ): Promise<{ status: number; json: Record<string, unknown>; error: string }> => {
    const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
      method: 'POST',
      headers: { ...authHeaders(key), ...headers },
      body,
    });
    const json = (await response.json()) as Record<string, unknown>;
    // The vision API's errors: {"error": {"code": "<kind>", "message": "..."}}.
    const error = (json.error as { message?: string } | undefined)?.message ?? '';
    return { status: response.status, json, error };
  };

  const form = (parts: { field?: string; bytes: Buffer; type: string; file?: string }[]) => {
    const data = new FormData();
    for (const [index, part] of parts.entries()) {
      data.append(
        part.field ?? 'image',
        new Blob([part.bytes], { type: part.type }),
        part.file ?? `image-${index}`,
      );
    }
    return data;
  };

  const jsonBody = (images: Buffer[]) =>
    JSON.stringify({ images: images.map((bytes) => ({ b64: bytes.toString('base64') })) });

  beforeAll(async () => {
    gateway = await startTestGateway({
      GATEWAY_DETECT_MAX_IMAGES: '4',
      GATEWAY_RATE_LIMITS: JSON.stringify(LIMITS),
    });
    for (const { name, type } of IMAGES) {
      const answer = await post(sampleImage(name), { 'content-type': type });
      expect(answer.status).toBe(200);
      raw.push(answer.json as unknown as DetectAnswer);
    }
    // The raw body's answer is one result, as before: no `results` list.
    expect(raw[0].detections.length).toBeGreaterThan(0);
    expect(Object.keys(raw[0]).sort()).toEqual([
      'detections',
      'image',
      'model',
      'timingsMs',
      'version',
    ]);
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('a multipart part gives exactly the boxes of the raw bytes', async () => {
    for (const [index, { name, type }] of IMAGES.entries()) {
      const answer = await post(form([{ bytes: sampleImage(name), type, file: name }]));
      expect(answer.status).toBe(200);
      const results = answer.json.results as DetectAnswer[];
      expect(results).toHaveLength(1);
      expect(boxes(results[0])).toEqual(boxes(raw[index]));
    }
  });

  it('a base64 JSON image gives exactly the boxes of the raw bytes', async () => {
    for (const [index, { name }] of IMAGES.entries()) {
      const answer = await post(jsonBody([sampleImage(name)]), {
        'content-type': 'application/json',
      });
      expect(answer.status).toBe(200);
      const results = answer.json.results as DetectAnswer[];
      expect(results).toHaveLength(1);
      expect(boxes(results[0])).toEqual(boxes(raw[index]));
    }
  });

  it('several images answer one result per image, in order, equal to separate calls', async () => {
    const images = IMAGES.map(({ name }) => sampleImage(name));
    const multipart = await post(
      form(IMAGES.map(({ name, type }, index) => ({ bytes: images[index], type, file: name }))),
    );
    expect(multipart.status).toBe(200);
    expect((multipart.json.results as DetectAnswer[]).map(boxes)).toEqual(raw.map(boxes));

    const json = await post(jsonBody(images), { 'content-type': 'application/json' });
    expect(json.status).toBe(200);
    expect((json.json.results as DetectAnswer[]).map(boxes)).toEqual(raw.map(boxes));

    // Base64 with escaped slashes (PHP's json_encode) and URL-safe base64 decode alike.
    const escaped = jsonBody([images[0]]).replaceAll('/', '\\/');
    const urlSafe = JSON.stringify({
      images: [{ b64: images[0].toString('base64url') }],
    });
    for (const body of [escaped, urlSafe]) {
      const answer = await post(body, { 'content-type': 'application/json' });
      expect(answer.status).toBe(200);
      expect(boxes((answer.json.results as DetectAnswer[])[0])).toEqual(boxes(raw[0]));
    }
  });

  it("charges every image against the tenant's image rate limit", async () => {
    const image = sampleImage('messi5.jpg');
    const part = { bytes: image, type: 'image/jpeg' };
    // 3 images per second, a call of 3 and a call of 1 sent at once (both are charged within
    // milliseconds, in the same one-second window, before any decoding): 4 images do not fit, so
    // exactly one of the two is refused, for its images. Sent one after the other, the first
    // call's three detects could outlast the second on a busy machine and the window refill.
    const three = (
      await createApiKey(gateway.httpUrl, { tenant: 'team-three', scopes: ['infer:nanodet'] })
    ).key;
    const answers = await Promise.all([
      post(form([part, part, part]), {}, three),
      post(form([part]), {}, three),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 429]);
    expect(answers.find((answer) => answer.status === 429)?.error).toMatch(/image/);
    // A call of 4 images is over the limit as a whole, and says so without naming one image.
    const four = (
      await createApiKey(gateway.httpUrl, { tenant: 'team-four', scopes: ['infer:nanodet'] })
    ).key;
    const refused = await post(form([part, part, part, part]), {}, four);
    expect(refused.status).toBe(429);
    expect(refused.error).not.toMatch(/^part \d/);
  });

  it('refuses bad multipart bodies with a typed error naming the part', async () => {
    const jpeg = sampleImage('messi5.jpg');
    const text = await post(
      form([
        { bytes: jpeg, type: 'image/jpeg' },
        { field: 'notes', bytes: Buffer.from('hello'), type: 'text/plain', file: 'notes.txt' },
      ]),
    );
    expect(text.status).toBe(415);
    expect(text.error).toMatch(
      /^part 2 \('notes', file 'notes\.txt'\): content-type 'text\/plain' is not an image/,
    );

    const notAnImage = await post(
      form([
        { bytes: jpeg, type: 'image/jpeg' },
        { bytes: Buffer.from('not a picture at all'), type: 'image/png', file: 'b.png' },
      ]),
    );
    expect(notAnImage.status).toBe(415);
    expect(notAnImage.error).toMatch(
      /^part 2 \('image', file 'b\.png'\): the body is not a JPEG, PNG or WebP/,
    );

    const empty = await post(form([{ bytes: Buffer.alloc(0), type: 'image/jpeg', file: 'e.jpg' }]));
    expect(empty.status).toBe(400);
    expect(empty.error).toMatch(/^part 1 \('image', file 'e\.jpg'\): the part is empty/);

    const tooMany = await post(
      form(Array.from({ length: 5 }, () => ({ bytes: jpeg, type: 'image/jpeg' }))),
    );
    expect(tooMany.status).toBe(413);
    expect(tooMany.error).toMatch(/at most 4 images \(GATEWAY_DETECT_MAX_IMAGES\)/);

    const boundary = 'x-boundary';
    const truncated = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="image"; filename="a.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`,
      ),
      jpeg.subarray(0, 1000),
    ]);
    const cut = await post(truncated, {
      'content-type': `multipart/form-data; boundary=${boundary}`,
    });
    expect(cut.status).toBe(400);
    expect(cut.error).toMatch(/^the multipart body is malformed/);

    const noBoundary = await post(Buffer.from('abc'), { 'content-type': 'multipart/form-data' });
    expect(noBoundary.status).toBe(400);
    expect(noBoundary.error).toMatch(/^the multipart body is malformed/);

    const none = await post(Buffer.from(`--${boundary}--\r\n`), {
      'content-type': `multipart/form-data; boundary=${boundary}`,
    });
    expect(none.status).toBe(400);
    expect(none.error).toMatch(/no image parts/);

    const encoded = await post(gzipSync(truncated), {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-encoding': 'gzip',
    });
    expect(encoded.status).toBe(415);
    expect(encoded.error).toMatch(/content-encoding 'gzip' is not supported with multipart/);
  });

  it('refuses bad JSON bodies with a typed error naming the index', async () => {
    const jpeg = sampleImage('messi5.jpg');
    const asJson = (value: unknown) =>
      post(JSON.stringify(value), { 'content-type': 'application/json' });
    const b64 = jpeg.toString('base64');

    const badBase64 = await asJson({
      images: [{ b64 }, { b64: `${b64.slice(0, 2000)}!!!!${b64.slice(2004)}` }],
    });
    expect(badBase64.status).toBe(400);
    expect(badBase64.error).toMatch(/^images\[1\]: b64 is not base64/);

    const notImage = await asJson({
      images: [{ b64: Buffer.from('plain text').toString('base64') }],
    });
    expect(notImage.status).toBe(415);
    expect(notImage.error).toMatch(/^images\[0\]: the body is not a JPEG, PNG or WebP/);

    for (const [value, message] of [
      [{ images: [{ b64, url: 'x' }] }, /unknown field 'url'/],
      [{ images: [{ b64: 42 }] }, /field 'images\.0\.b64' must be a base64 string/],
      [{ images: [{ b64: true }] }, /field 'images\.0\.b64' must be a base64 string/],
      [{ images: [] }, /lists no image/],
      [{ pictures: [] }, /unknown field 'pictures'/],
      [{}, /needs field 'images'/],
      [[1, 2], /does not match/],
    ] as const) {
      const answer = await asJson(value);
      expect([answer.status, answer.error]).toEqual([400, expect.stringMatching(message)]);
    }
    const tooMany = await asJson({ images: Array.from({ length: 5 }, () => ({ b64 })) });
    expect(tooMany.status).toBe(413);

    const broken = await post('{"images": [{"b64": "abc', { 'content-type': 'application/json' });
    expect(broken.status).toBe(400);
    expect(broken.error).toMatch(/not valid JSON/);
  });

  it("runs a call's images through the batcher, which merges them", async () => {
    // A queue delay long enough for four images decoded one after another on two cores to meet.
    const batching = await startTestGateway({
      GATEWAY_BATCH_MAX_QUEUE_DELAY_US: '1000000',
      GATEWAY_ADMISSION_LIMIT: 'fixed',
    });
    try {
      const sizes = async () => {
        const metric = await batching.app.get(GatewayMetrics).batchSize.get();
        const value = (name: string) =>
          metric.values.find((entry) => entry.metricName === name)?.value ?? 0;
        return {
          batches: value('gateway_batch_size_count'),
          images: value('gateway_batch_size_sum'),
        };
      };
      const before = await sizes();
      const jpeg = sampleImage('messi5.jpg');
      const response = await fetch(`${batching.httpUrl}/v1/models/nanodet/detect`, {
        method: 'POST',
        headers: authHeaders(),
        body: form(Array.from({ length: 4 }, () => ({ bytes: jpeg, type: 'image/jpeg' }))),
      });
      expect(response.status).toBe(200);
      const results = ((await response.json()) as { results: DetectAnswer[] }).results;
      expect(results.map(boxes)).toEqual(Array.from({ length: 4 }, () => boxes(raw[0])));
      const after = await sizes();
      expect(after.images - before.images).toBe(4);
      expect(after.batches - before.batches).toBeLessThan(4);
    } finally {
      await batching.close();
    }
  });
});
