/**
 * Finding 7 of issue 10: the pixel count is not the only cost of an image. Each hostile image here
 * is small on the wire and promises seconds of CPU or gigabytes of memory in its header; the
 * gateway must refuse it from the header (typed 413 / RESOURCE_EXHAUSTED naming the setting) or
 * decode it within its bounds, and keep serving normal detects meanwhile.
 */
import { create } from '@bufbuild/protobuf';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import { DetectRequestSchema, VisionService } from '@contracts/generated/vision/v1/vision_pb';
import sharp from 'sharp';
import { cpuSeconds } from '@test-support';
import { authHeaders, callUnary, grpcClient, sampleImage } from '../test-gateway';
import { expectCheap, measureCost, startMeteredGateway, type MeteredGateway } from './cost-meter';
import { zeroPng } from './hostile-images';

const MIB = 1024 * 1024;

jest.setTimeout(180_000);

interface Answer {
  status: number;
  code?: string;
  message?: string;
}

/** POST /v1/models/nanodet/detect: the status and the error, if any. */
async function restDetect(gateway: MeteredGateway, image: Buffer, type: string): Promise<Answer> {
  const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': type },
    body: image,
  });
  const body = (await response.json()) as { error?: { code: string; message: string } };
  return { status: response.status, code: body.error?.code, message: body.error?.message };
}

/** vision.v1.VisionService/Detect: the gRPC status and its details. */
function grpcDetect(client: Client & Record<string, unknown>, image: Buffer): Promise<Answer> {
  return callUnary(client, 'detect', create(DetectRequestSchema, { model: 'nanodet', image })).then(
    () => ({ status: status.OK }),
    (error: ServiceError) => ({ status: error.code, message: error.details }),
  );
}

/** CPU seconds the gateway process spent while `action` ran (all its threads). */
async function cpuOf<T>(gateway: MeteredGateway, action: () => Promise<T>): Promise<[T, number]> {
  const before = cpuSeconds(gateway.pid);
  const result = await action();
  return [result, cpuSeconds(gateway.pid) - before];
}

describe('hostile images: the header bounds what one decode may cost', () => {
  let gateway: MeteredGateway;
  let client: Client & Record<string, unknown>;
  const rest = (image: Buffer, type = 'image/png'): Promise<Answer> =>
    restDetect(gateway, image, type);
  const grpc = (image: Buffer): Promise<Answer> => grpcDetect(client, image);

  beforeAll(async () => {
    gateway = await startMeteredGateway();
    client = grpcClient(VisionService, gateway.grpcAddress);
  });
  afterAll(async () => {
    client?.close();
    await gateway?.kill();
  });

  it('refuses a 76 KiB 1 × 39,999,999 PNG from its header: no CPU spent on its rows (REST, gRPC)', async () => {
    const tall = zeroPng({ width: 1, height: 39_999_999, channels: 1 });
    expect(tall.byteLength).toBeLessThan(100 * 1024);
    expect(await sharp(tall).metadata()).toMatchObject({ width: 1, height: 39_999_999 });
    // Baseline in the same run: one normal detect (decode, resize, inference).
    const [normal, normalCpu] = await cpuOf(gateway, () =>
      rest(sampleImage('messi5.jpg'), 'image/jpeg'),
    );
    expect(normal.status).toBe(200);

    const [overRest, restCpu] = await cpuOf(gateway, () => rest(tall));
    expect(overRest).toEqual({
      status: 413,
      code: 'payload_too_large',
      message: expect.stringMatching(/1x39999999 .*16384 pixels \(GATEWAY_MAX_IMAGE_SIDE\)/),
    });
    const [overGrpc, grpcCpu] = await cpuOf(gateway, () => grpc(tall));
    expect(overGrpc).toEqual({
      status: status.RESOURCE_EXHAUSTED,
      message: expect.stringMatching(/GATEWAY_MAX_IMAGE_SIDE/),
    });
    // Decoding it took 7-14 s of CPU; a refusal from the header costs less than a normal detect.
    expect(restCpu).toBeLessThan(normalCpu + 1);
    expect(grpcCpu).toBeLessThan(normalCpu + 1);

    const { cost } = await measureCost(gateway, () => rest(tall));
    expectCheap(cost, {}, 'a 1 x 39,999,999 PNG');
  });

  it('refuses eight interlaced 16-bit RGBA 6300×6300 PNGs sent at once, without holding their pixels (REST, gRPC)', async () => {
    const deep = zeroPng({
      width: 6300,
      height: 6300,
      channels: 4,
      bitDepth: 16,
      interlaced: true,
    });
    expect(await sharp(deep).metadata()).toMatchObject({
      width: 6300,
      height: 6300,
      channels: 4,
      depth: 'ushort',
      isProgressive: true,
    });
    const refused = {
      status: 413,
      code: 'payload_too_large',
      message: expect.stringMatching(
        /317520000 bytes \(6300x6300 pixels × 4 channels × 2 bytes per sample\).*GATEWAY_MAX_IMAGE_DECODED_BYTES/,
      ),
    };
    const eight = <T>(send: () => Promise<T>): Promise<T[]> =>
      Promise.all(Array.from({ length: 8 }, send));

    const overRest = await measureCost(gateway, () => eight(() => rest(deep)));
    expect(overRest.result).toEqual(Array(8).fill(refused));
    // Decoding them added 1.27 GiB of RSS.
    expectCheap(overRest.cost, { rssPeakGrowthBytes: 128 * MIB }, 'eight 16-bit PNGs over REST');

    const overGrpc = await measureCost(gateway, () => eight(() => grpc(deep)));
    expect(overGrpc.result).toEqual(
      Array(8).fill({ status: status.RESOURCE_EXHAUSTED, message: refused.message }),
    );
    expectCheap(overGrpc.cost, { rssPeakGrowthBytes: 128 * MIB }, 'eight 16-bit PNGs over gRPC');
  });

  it("answers an image over sharp's own 268-megapixel limit with the documented 413 (REST, gRPC)", async () => {
    // 16384 × 16384 is one pixel row over 0x3FFF × 0x3FFF, sharp's default limitInputPixels.
    const huge = zeroPng({ width: 16_384, height: 16_384, channels: 1 });
    const tooMany =
      /16384x16384 pixels, above the limit of 40000000 pixels \(GATEWAY_MAX_IMAGE_PIXELS\)/;
    const { cost, result } = await measureCost(gateway, () => rest(huge));
    expect(result).toEqual({
      status: 413,
      code: 'payload_too_large',
      message: expect.stringMatching(tooMany),
    });
    expectCheap(cost, {}, 'a 16384 x 16384 PNG');
    expect(await grpc(huge)).toEqual({
      status: status.RESOURCE_EXHAUSTED,
      message: expect.stringMatching(tooMany),
    });
  });

  it('refuses animated images and other formats behind an image content type before decoding', async () => {
    const frame = (colour: string): Promise<Buffer> =>
      sharp({ create: { width: 16, height: 16, channels: 3, background: colour } })
        .png()
        .toBuffer();
    const animated = await sharp([await frame('#f00'), await frame('#0f0')], {
      join: { animated: true },
    })
      .webp()
      .toBuffer();
    expect(await rest(animated, 'image/webp')).toEqual({
      status: 415,
      code: 'unsupported_media_type',
      message: expect.stringMatching(/2 frames/),
    });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9000" height="9000"/>');
    expect(await rest(svg, 'image/png')).toEqual({
      status: 415,
      code: 'unsupported_media_type',
      message: 'the body is not a JPEG, PNG or WebP image',
    });
  });
});

describe('hostile images: the decode budget bounds what all decodes at once may cost', () => {
  let gateway: MeteredGateway;

  beforeAll(async () => {
    gateway = await startMeteredGateway({
      // One 49 MB image decodes at a time and one more may wait; admission lets all of them in.
      GATEWAY_MAX_IMAGE_DECODED_BYTES: '50000000',
      GATEWAY_IMAGE_DECODE_BUDGET_BYTES: '50000000',
      GATEWAY_IMAGE_DECODE_QUEUE: '1',
      GATEWAY_MAX_IN_FLIGHT_PER_MODEL: '16',
      // Sixteen decodes at once is the point: a learnt limit would let fewer through.
      GATEWAY_ADMISSION_LIMIT: 'fixed',
    });
    // Full batches first: ONNX Runtime's arena grows to its batch-of-8 size once, which is not the
    // images' cost.
    const normal = sampleImage('messi5.jpg');
    for (let round = 0; round < 3; round += 1) {
      await Promise.all(
        Array.from({ length: 16 }, () => restDetect(gateway, normal, 'image/jpeg')),
      );
    }
  });
  afterAll(() => gateway?.kill());

  it('decodes large images within the budget, refuses those beyond its queue with 429, and keeps serving normal detects', async () => {
    // Interlaced: the decoder holds all 3500 × 3500 × 4 bytes (49 MB) of each until it is done.
    const large = zeroPng({ width: 3500, height: 3500, channels: 4, interlaced: true });
    const { cost, result } = await measureCost(gateway, () =>
      Promise.all(Array.from({ length: 8 }, () => restDetect(gateway, large, 'image/png'))),
    );
    const served = result.filter((answer) => answer.status === 200);
    const refused = result.filter((answer) => answer.status !== 200);
    // One decoding and one waiting are served; the rest find the queue full (unless one of the
    // first two was done before they arrived).
    expect(served.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const answer of refused) {
      expect(answer).toEqual({
        status: 429,
        code: 'resource_exhausted',
        message: expect.stringMatching(
          /GATEWAY_IMAGE_DECODE_BUDGET_BYTES 50000000.*GATEWAY_IMAGE_DECODE_QUEUE/,
        ),
      });
    }
    // One at a time: measured +47 to +94 MiB; four at once (libuv's threads, no budget) +200 to +265.
    expectCheap(cost, { rssPeakGrowthBytes: 160 * MIB }, 'eight large images at once');
  });
});
