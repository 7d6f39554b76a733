import { create } from '@bufbuild/protobuf';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import {
  DetectRequestSchema,
  VisionService,
  type DetectResponse,
} from '@contracts/generated/vision/v1/vision_pb';
import sharp from 'sharp';
import type { RunningGateway } from '../src/gateway-app';
import type { DetectResult } from '../src/vision/detect-types';
import { authHeaders, callUnary, grpcClient, sampleImage, startTestGateway } from './test-gateway';

/** Hand-labelled box around the player in messi5.jpg (548×342), from hand to boot, head to shoe. */
const MESSI_PLAYER: [number, number, number, number] = [68, 62, 456, 336];

function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

describe('vision detect API (REST and gRPC)', () => {
  let gateway: RunningGateway;
  let client: Client & Record<string, unknown>;

  const detect = async (
    image: Buffer,
    type = 'image/jpeg',
    query = '',
    path = '/v1/models/nanodet/detect',
  ) => {
    const response = await fetch(`${gateway.httpUrl}${path}${query}`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': type },
      body: image,
    });
    return {
      status: response.status,
      body: (await response.json()) as DetectResult & { error?: { code: string; message: string } },
    };
  };

  beforeAll(async () => {
    gateway = await startTestGateway({ GATEWAY_MAX_IMAGE_PIXELS: '20000000' });
    client = grpcClient(VisionService, gateway.grpcAddress);
  });
  afterAll(async () => {
    client.close();
    await gateway.close();
  });

  it('finds the player in messi5.jpg with a box over him, in original pixels', async () => {
    const { status: code, body } = await detect(sampleImage('messi5.jpg'));
    expect(code).toBe(200);
    expect(body).toMatchObject({
      model: 'nanodet',
      version: '1',
      image: { width: 548, height: 342 },
    });
    const people = body.detections.filter((detection) => detection.label === 'person');
    expect(people.length).toBeGreaterThanOrEqual(1);
    expect(people[0].score).toBeGreaterThanOrEqual(0.5);
    expect(iou(people[0].box, MESSI_PLAYER)).toBeGreaterThan(0.85);
    // The call pipeline's guards (admit: the wait for a slot), then the vision work.
    expect(Object.keys(body.timingsMs)).toEqual([
      'authorize',
      'rate-limit',
      'route',
      'precheck',
      'admit',
      'decode',
      'preprocess',
      'infer',
      'decode-detections',
      'nms',
      'map-boxes',
      'total',
    ]);
  });

  it('finds the pedestrians in a vtest.avi frame', async () => {
    const { body } = await detect(sampleImage('vtest-frames/frame-04.png'), 'image/png');
    const people = body.detections.filter(
      (detection) => detection.label === 'person' && detection.score >= 0.5,
    );
    expect(people.length).toBeGreaterThanOrEqual(5);
    for (const person of people) {
      const [x1, y1, x2, y2] = person.box;
      expect(y2 - y1).toBeGreaterThan(x2 - x1); // upright pedestrians are taller than wide
      expect(x2).toBeLessThanOrEqual(768);
      expect(y2).toBeLessThanOrEqual(576);
    }
  });

  it('gives the same boxes for the same picture as JPEG, PNG and WebP, letterboxed or stretched', async () => {
    const jpeg = sampleImage('messi5.jpg');
    const reference = (await detect(jpeg)).body.detections[0];
    const png = (await detect(await sharp(jpeg).png().toBuffer(), 'image/png')).body.detections[0];
    const webp = (await detect(await sharp(jpeg).webp({ lossless: true }).toBuffer(), 'image/webp'))
      .body.detections[0];
    expect(png).toEqual(reference);
    expect(webp).toEqual(reference);
    expect((await detect(jpeg, 'image/jpeg', '?resize=letterbox')).body.detections[0]).toEqual(
      reference,
    );
    const stretched = await detect(jpeg, 'image/jpeg', '?resize=stretch');
    const person = stretched.body.detections.find((d) => d.label === 'person');
    expect(person?.score).toBeCloseTo(0.7585, 3); // the score the TF.js original gives (model card)
    expect(iou(person?.box ?? [0, 0, 0, 0], MESSI_PLAYER)).toBeGreaterThan(0.85);
  });

  it('honours EXIF orientation: a sideways-stored photo is detected as displayed', async () => {
    const upright = sampleImage('messi5.jpg');
    // Stored rotated 90° counter-clockwise; orientation 6 tells viewers to turn it back clockwise.
    const sideways = await sharp(upright)
      .rotate(-90)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 95 })
      .toBuffer();
    const { body } = await detect(sideways);
    expect(body.image).toEqual({ width: 548, height: 342 });
    const person = body.detections.find((detection) => detection.label === 'person');
    expect(iou(person?.box ?? [0, 0, 0, 0], MESSI_PLAYER)).toBeGreaterThan(0.8);
  });

  it('applies the score threshold, class filter and detection cap', async () => {
    const image = sampleImage('vtest-frames/frame-04.png');
    const onlyPeople = (await detect(image, 'image/png', '?classes=person')).body.detections;
    expect(onlyPeople.length).toBeGreaterThan(0);
    expect(onlyPeople.every((detection) => detection.label === 'person')).toBe(true);
    expect((await detect(image, 'image/png', '?maxDetections=2')).body.detections).toHaveLength(2);
    const strict = (await detect(image, 'image/png', '?scoreThreshold=0.7')).body.detections;
    expect(strict.every((detection) => detection.score >= 0.7)).toBe(true);
    expect((await detect(image, 'image/png', '?scoreThreshold=0.99')).body.detections).toEqual([]);
  });

  it('serves the same detections over gRPC vision.v1.VisionService/Detect', async () => {
    const image = sampleImage('messi5.jpg');
    const rest = (await detect(image, 'image/jpeg', '?classes=person,sports%20ball')).body;
    const grpc = await callUnary<DetectResponse>(
      client,
      'detect',
      create(DetectRequestSchema, {
        model: 'nanodet',
        image,
        options: { classes: ['person', 'sports ball'] },
      }),
    );
    expect(grpc.image).toMatchObject({ width: 548, height: 342 });
    expect(
      grpc.detections.map((d) => [
        d.label,
        d.classId,
        d.score,
        d.box?.x1,
        d.box?.y1,
        d.box?.x2,
        d.box?.y2,
      ]),
    ).toEqual(
      rest.detections.map((d) => [
        d.label,
        d.classId,
        Math.fround(d.score),
        ...d.box.map(Math.fround),
      ]),
    );
  });

  it.each([
    [
      'an unsupported content type',
      () => sampleImage('messi5.jpg'),
      'text/plain',
      '',
      415,
      'unsupported_media_type',
      /content-type 'text\/plain'/,
    ],
    [
      'a body that is no image',
      () => Buffer.from('not an image at all'),
      'image/jpeg',
      '',
      415,
      'unsupported_media_type',
      /not a JPEG, PNG or WebP/,
    ],
    [
      'a GIF',
      () => Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'),
      'image/png',
      '',
      415,
      'unsupported_media_type',
      /gif/,
    ],
    [
      'a truncated JPEG',
      () => sampleImage('messi5.jpg').subarray(0, 2000),
      'image/jpeg',
      '',
      400,
      'invalid_argument',
      /could not be decoded/,
    ],
    ['an empty body', () => Buffer.alloc(0), 'image/jpeg', '', 400, 'invalid_argument', /empty/],
    [
      'an unknown class',
      () => sampleImage('messi5.jpg'),
      'image/jpeg',
      '?classes=unicorn',
      400,
      'invalid_argument',
      /unknown class 'unicorn'/,
    ],
    [
      'a threshold above 1',
      () => sampleImage('messi5.jpg'),
      'image/jpeg',
      '?scoreThreshold=1.5',
      400,
      'invalid_argument',
      /scoreThreshold/,
    ],
    [
      'an unknown query parameter',
      () => sampleImage('messi5.jpg'),
      'image/jpeg',
      '?treshold=0.5',
      400,
      'invalid_argument',
      /treshold/,
    ],
  ])('answers %s with a typed error', async (_name, image, type, query, code, kind, message) => {
    const { status: got, body } = await detect(image(), type, query);
    expect({ status: got, error: body.error }).toEqual({
      status: code,
      error: { code: kind, message: expect.stringMatching(message) },
    });
  });

  it('refuses a decompression bomb before decoding its pixels', async () => {
    const bomb = await sharp({
      create: { width: 6000, height: 6000, channels: 3, background: '#000' },
    })
      .png()
      .toBuffer();
    const { status: got, body } = await detect(bomb, 'image/png');
    expect({ status: got, code: body.error?.code }).toEqual({
      status: 413,
      code: 'payload_too_large',
    });
    expect(body.error?.message).toMatch(/6000x6000/);
  });

  it('answers unknown models and versions with 404', async () => {
    const image = sampleImage('messi5.jpg');
    expect(
      (await detect(image, 'image/jpeg', '', '/v1/models/yolo/detect')).body.error,
    ).toMatchObject({ code: 'not_found', message: "unknown model 'yolo'" });
    expect(
      (await detect(image, 'image/jpeg', '', '/v1/models/nanodet/versions/4/detect')).status,
    ).toBe(404);
  });

  it('maps gRPC detect errors to INVALID_ARGUMENT and NOT_FOUND', async () => {
    const empty = await callUnary(
      client,
      'detect',
      create(DetectRequestSchema, { model: 'nanodet' }),
    ).catch((e: ServiceError) => e);
    expect(empty).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: "'image' is empty: send the encoded image bytes",
    });
    // proto3 has no missing string: an empty model is the caller's mistake, not an unknown model.
    const noModel = await callUnary(
      client,
      'detect',
      create(DetectRequestSchema, { image: sampleImage('messi5.jpg') }),
    ).catch((e: ServiceError) => e);
    expect(noModel).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: "'model' is required: name the model to call",
    });
    const unknown = await callUnary(
      client,
      'detect',
      create(DetectRequestSchema, { model: 'yolo', image: sampleImage('messi5.jpg') }),
    ).catch((e: ServiceError) => e);
    expect(unknown).toMatchObject({ code: status.NOT_FOUND });
    const badOption = await callUnary(
      client,
      'detect',
      create(DetectRequestSchema, {
        model: 'nanodet',
        image: sampleImage('messi5.jpg'),
        options: { iouThreshold: 3 },
      }),
    ).catch((e: ServiceError) => e);
    expect(badOption).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: "invalid DetectRequest field 'options.iou_threshold': must be from 0 to 1",
    });
    const badResize = await callUnary(
      client,
      'detect',
      create(DetectRequestSchema, {
        model: 'nanodet',
        image: sampleImage('messi5.jpg'),
        options: { resize: 'crop' },
      }),
    ).catch((e: ServiceError) => e);
    expect(badResize).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/resize/),
    });
  });

  it('takes the resize mode over gRPC as over REST', async () => {
    const image = sampleImage('messi5.jpg');
    for (const resize of ['stretch', 'letterbox']) {
      const rest = (await detect(image, 'image/jpeg', `?resize=${resize}`)).body;
      const grpc = await callUnary<DetectResponse>(
        client,
        'detect',
        create(DetectRequestSchema, { model: 'nanodet', image, options: { resize } }),
      );
      expect(grpc.detections.map((d) => [d.label, d.score])).toEqual(
        rest.detections.map((d) => [d.label, Math.fround(d.score)]),
      );
    }
    // The two modes differ on this picture (the stretched person scores 0.7585, the model card's).
    const stretched = await callUnary<DetectResponse>(
      client,
      'detect',
      create(DetectRequestSchema, { model: 'nanodet', image, options: { resize: 'stretch' } }),
    );
    const letterboxed = await callUnary<DetectResponse>(
      client,
      'detect',
      create(DetectRequestSchema, { model: 'nanodet', image, options: { resize: 'letterbox' } }),
    );
    expect(stretched.detections[0].score).not.toBe(letterboxed.detections[0].score);
  });
});
