import fc from 'fast-check';
import sharp from 'sharp';
import { authHeaders, sampleImage } from '../test-gateway';
import { startMeteredGateway, type MeteredGateway } from '../hostile/cost-meter';
import { assertCheaply } from './cheap-property';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters } from './fuzz-settings';
import { expectSuccessOrClientError, send, type HttpOutcome } from './http-outcome';
import {
  absurdDimensions,
  damagedImage,
  detectQuery,
  imageContentType,
  randomImageBytes,
  type NamedImage,
} from './image-arbitraries';

const DETECT = '/v1/models/nanodet/detect';

jest.setTimeout(FUZZ_TEST_TIMEOUT_MS);

describe('malformed input: vision detect REST (property-based)', () => {
  let gateway: MeteredGateway;
  let jpeg: Buffer;
  let png: Buffer;
  let images: NamedImage[];

  const detect = (image: Buffer, type: string, query = ''): Promise<HttpOutcome> =>
    send(gateway.httpUrl, `${DETECT}${query}`, {
      method: 'POST',
      headers: { ...authHeaders(), ...(type ? { 'content-type': type } : {}) },
      body: image,
    });

  beforeAll(async () => {
    gateway = await startMeteredGateway();
    jpeg = sampleImage('messi5.jpg');
    png = sampleImage('basketball1.png');
    images = [
      { name: 'messi5.jpg', bytes: jpeg },
      { name: 'basketball1.png', bytes: png },
      { name: 'fruits.jpg', bytes: sampleImage('fruits.jpg') },
      { name: 'messi5.webp', bytes: await sharp(jpeg).webp().toBuffer() },
    ];
  });
  afterAll(() => gateway.kill());

  // Each property leaves the gateway serving: a real picture is still detected.
  afterEach(async () => {
    const outcome = await detect(jpeg, 'image/jpeg');
    expect(outcome.status).toBe(200);
  });

  it('refuses random bytes under any content type with a typed 4xx', async () => {
    await assertCheaply(
      gateway,
      fc.asyncProperty(randomImageBytes, imageContentType, async (image, type) => {
        expectSuccessOrClientError(await detect(image.bytes, type), [200, 400, 413, 415]);
      }),
      fuzzParameters(120),
    );
  });

  it('answers truncated and corrupted real JPEG, PNG and WebP files with 200 or a typed 4xx', async () => {
    await assertCheaply(
      gateway,
      fc.asyncProperty(damagedImage(images), async (image) => {
        expectSuccessOrClientError(await detect(image.bytes, 'image/jpeg'), [200, 400, 413, 415]);
      }),
      fuzzParameters(60),
    );
  });

  it('answers absurd dimensions in image headers without decoding them', async () => {
    await assertCheaply(
      gateway,
      fc.asyncProperty(absurdDimensions(png, jpeg), async (image) => {
        expectSuccessOrClientError(await detect(image.bytes, 'image/png'), [200, 400, 413, 415]);
      }),
      fuzzParameters(60),
    );
  });

  it('names the bad query parameter', async () => {
    await assertCheaply(
      gateway,
      fc.asyncProperty(detectQuery, async (query) => {
        expectSuccessOrClientError(await detect(jpeg, 'image/jpeg', query), [200, 400]);
      }),
      fuzzParameters(40),
    );
  });
});
