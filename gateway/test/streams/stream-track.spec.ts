import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { status } from '@grpc/grpc-js';
import { DropReason, type FrameResult } from '@contracts/generated/vision/v1/streams_pb';
import { extractVideoFrames, sleep, until } from '@test-support';
import { iou, type Box } from '@vision-math';
import { createApiKey, startTestGateway, type TestGateway } from '../test-gateway';
import { scrapeMetric } from '../prometheus-text';
import { openTrackStream, streamConfig, type TrackSession } from './track-client';

const FRAME_MS = 100;
const frames = extractVideoFrames('vtest.avi', { count: 60 });

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({
    GATEWAY_STREAMS_PER_TENANT: '3',
    // A client that stops reading holds up serving after a few answers (~1 KB each).
    GATEWAY_GRPC_STREAM_MAX_UNSENT_BYTES: '16384',
  });
});

afterAll(async () => {
  await gateway?.close();
});

/** JS heap and buffers this process (the gateway runs in it) holds after a full collection. */
function retainedBytes(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/**
 * retainedBytes, the least of a few readings apart: buffers in flight at one instant (a frame being
 * written, an answer being encoded) are gone by the next reading; what the process keeps is in all.
 */
async function settledRetainedBytes(): Promise<number> {
  const readings: number[] = [];
  for (let reading = 0; reading < 4; reading += 1) {
    readings.push(retainedBytes());
    await sleep(50);
  }
  return Math.min(...readings);
}

/** Every frame sent is either answered or named in a drop notice, exactly once. */
function accountedSeqs(results: FrameResult[]): {
  served: bigint[];
  dropped: Map<bigint, DropReason>;
} {
  const served = results.filter((result) => result.cameraId && !result.error).map((r) => r.seq);
  const dropped = new Map<bigint, DropReason>();
  for (const result of results)
    for (const drop of result.dropped) dropped.set(drop.seq, drop.reason);
  return { served, dropped };
}

async function finish(session: TrackSession): Promise<void> {
  session.close();
  expect(await session.closed).toBeNull();
}

describe('vision.v1.StreamService/StreamTrack', () => {
  it('tracks the people of vtest.avi at 10 FPS: stable ids, global ids, velocities, forecasts, timings', async () => {
    const session = openTrackStream(gateway.grpcAddress);
    const start = Date.now();
    for (const [index, image] of frames.entries()) {
      session.send({
        config: index === 0 ? streamConfig() : undefined,
        cameraId: 'entrance',
        seq: BigInt(index + 1),
        captureTimeMs: BigInt(start + index * FRAME_MS),
        image,
      });
      await sleep(start + (index + 1) * FRAME_MS - Date.now());
    }
    await finish(session);

    const { served, dropped } = accountedSeqs(session.results);
    expect(served.length + dropped.size).toBe(frames.length);
    // LATEST may replace a frame when the machine is busy; the tracker bridges the gaps.
    expect(served.length).toBeGreaterThanOrEqual(frames.length * 0.3);
    expect(served).toEqual([...served].sort((a, b) => Number(a - b)));

    const answered = session.results.filter((result) => result.cameraId);
    // vtest.avi shows several walking people in every frame.
    expect(Math.min(...answered.map((result) => result.objects.length))).toBeGreaterThan(2);
    let continued = 0;
    let switched = 0;
    for (let index = 1; index < answered.length; index += 1) {
      for (const object of answered[index].objects) {
        const before = answered[index - 1].objects.find(
          (previous) => iou(boxOf(previous), boxOf(object)) >= 0.6,
        );
        if (!before) continue;
        if (before.trackId === object.trackId) continued += 1;
        else switched += 1;
      }
    }
    expect(continued).toBeGreaterThan(answered.length * 2);
    expect(switched / (continued + switched)).toBeLessThan(0.03);

    const objects = answered.flatMap((result) => result.objects);
    expect(objects.every((object) => object.label === 'person' && object.trackId > 0n)).toBe(true);
    const speeds = objects.map((object) => Math.hypot(object.velocity!.vx, object.velocity!.vy));
    expect(speeds.every(Number.isFinite)).toBe(true);
    // People walk at tens of px/s in this clip; some move, none teleports.
    expect(speeds.filter((speed) => speed > 5).length).toBeGreaterThan(objects.length / 4);
    expect(Math.max(...speeds)).toBeLessThan(2000);

    // Global ids: every tracked person has one once embedded (on sight), no two in one frame
    // share one, and a track keeps its own.
    const globalOf = new Map<bigint, bigint>();
    for (const result of answered.slice(1)) {
      const ids = result.objects.map((object) => object.globalId);
      expect(ids.every((id) => id > 0n)).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      for (const object of result.objects) {
        expect(globalOf.get(object.trackId) ?? object.globalId).toBe(object.globalId);
        globalOf.set(object.trackId, object.globalId);
      }
    }

    // Forecasts: every object tracked for two frames or more has its foot point at each horizon.
    const later = answered.slice(5).flatMap((result) => result.objects);
    const forecasted = later.filter((object) => object.forecast.length > 0);
    expect(forecasted.length).toBeGreaterThan(later.length * 0.8);
    let along = 0;
    let movers = 0;
    for (const object of forecasted) {
      expect(object.forecast.map((point) => point.horizonMs)).toEqual([500, 1000, 2000]);
      const { x1, x2, y2 } = object.box!;
      const { vx, vy } = object.velocity!;
      const inOneSecond = object.forecast[1];
      expect(Number.isFinite(inOneSecond.x) && Number.isFinite(inOneSecond.y)).toBe(true);
      if (Math.hypot(vx, vy) < 20) continue;
      movers += 1;
      const dx = inOneSecond.x - (x1 + x2) / 2;
      const dy = inOneSecond.y - y2;
      if (dx * vx + dy * vy > 0) along += 1;
    }
    // A walking person is forecast to go on the way they walk.
    expect(movers).toBeGreaterThan(20);
    expect(along / movers).toBeGreaterThan(0.9);

    for (const result of answered) {
      for (const stage of [
        'queue',
        'decode',
        'preprocess',
        'infer',
        'nms',
        'track',
        'reidentify',
        'forecast',
        'total',
      ]) {
        expect(result.timingsMs[stage]).toBeGreaterThanOrEqual(0);
      }
      expect(result.model).toBe('nanodet');
      expect(result.image).toEqual(expect.objectContaining({ width: 768, height: 576 }));
    }
  });

  it('latest: a sender faster than the gateway has its older waiting frames dropped and told', async () => {
    const before = await scrapeMetric(gateway, 'gateway_stream_frames_dropped_total', {
      reason: 'replaced',
    });
    const session = openTrackStream(gateway.grpcAddress);
    const count = 40;
    for (let index = 0; index < count; index += 1) {
      session.send({
        config: index === 0 ? streamConfig({ frameDeadlineMs: 60_000 }) : undefined,
        cameraId: 'fast',
        seq: BigInt(index + 1),
        image: frames[index],
      });
    }
    await finish(session);
    const { served, dropped } = accountedSeqs(session.results);
    expect(served.length + dropped.size).toBe(count);
    expect(dropped.size).toBeGreaterThan(count / 2);
    expect([...dropped.values()].every((reason) => reason === DropReason.REPLACED)).toBe(true);
    // The newest frame is never the one let go.
    expect(served).toContain(BigInt(count));
    const after = await scrapeMetric(gateway, 'gateway_stream_frames_dropped_total', {
      reason: 'replaced',
    });
    expect(after - before).toBe(dropped.size);
  });

  it('a client that stops reading holds memory bounded: frames go by policy, counted', async () => {
    const before = await scrapeMetric(gateway, 'gateway_stream_frames_total', {
      outcome: 'dropped',
    });
    const session = openTrackStream(gateway.grpcAddress);
    session.stream.pause();
    const count = 1500;
    const image = frames[0];
    const retained: number[] = [];
    for (let index = 0; index < count; index += 1) {
      const flowing = session.send({
        // A far deadline: the newest frame waits for the client to read, however long that takes.
        config: index === 0 ? streamConfig({ frameDeadlineMs: 60_000 }) : undefined,
        cameraId: 'unread',
        seq: BigInt(index + 1),
        image,
      });
      if (!flowing) await new Promise((resolve) => session.stream.once('drain', resolve));
      // What the process still holds after a full collection, at a third, two thirds and the end.
      if ((index + 1) % 500 === 0) {
        await until(
          async () =>
            (await scrapeMetric(gateway, 'gateway_stream_frames_total', { outcome: 'dropped' })) -
              before >=
            index + 1 - 40,
          `${index + 1 - 40} frames dropped`,
          30_000,
        );
        retained.push(await settledRetainedBytes());
      }
    }
    const mib = (bytes: number) => bytes / 2 ** 20;
    const sentMiB = mib(1000 * image.byteLength);
    const grewMiB = mib(retained[2] - retained[0]);
    console.log(
      `slow reader: ${sentMiB.toFixed(0)} MiB of frames sent between the first and last reading, retained memory grew ${grewMiB.toFixed(1)} MiB`,
    );
    expect(grewMiB).toBeLessThan(8);
    session.stream.resume();
    await finish(session);
    const served = session.results.filter((result) => result.cameraId && !result.error);
    expect(served.length).toBeLessThan(60);
    expect(served.at(-1)?.seq).toBe(BigInt(count));
  });

  it('block: every frame is served, in order, however fast they come', async () => {
    const session = openTrackStream(gateway.grpcAddress);
    const count = 16;
    for (let index = 0; index < count; index += 1) {
      session.send({
        config:
          index === 0
            ? streamConfig({ policy: 3 /* BLOCK */, maxQueuedFrames: 2, frameDeadlineMs: 60_000 })
            : undefined,
        cameraId: 'archive',
        seq: BigInt(index + 1),
        image: frames[index],
      });
    }
    await finish(session);
    const { served, dropped } = accountedSeqs(session.results);
    expect(dropped.size).toBe(0);
    expect(served).toEqual(Array.from({ length: count }, (_, index) => BigInt(index + 1)));
  });

  it('drop-oldest keeps the newest frames and names the others', async () => {
    const session = openTrackStream(gateway.grpcAddress);
    const count = 30;
    for (let index = 0; index < count; index += 1) {
      session.send({
        // A deadline far off: under a busy machine's delays only the queue may drop frames here.
        config:
          index === 0
            ? streamConfig({ policy: 2, maxQueuedFrames: 3, frameDeadlineMs: 60_000 })
            : undefined,
        cameraId: 'lobby',
        seq: BigInt(index + 1),
        image: frames[index],
      });
    }
    await finish(session);
    const { served, dropped } = accountedSeqs(session.results);
    expect(served.length + dropped.size).toBe(count);
    expect(dropped.size).toBeGreaterThan(0);
    expect([...dropped.values()].every((reason) => reason === DropReason.QUEUE_FULL)).toBe(true);
    expect(served.slice(-3)).toEqual([28n, 29n, 30n]);
  });

  it('a frame waiting past its deadline is dropped before any pixel work', async () => {
    const session = openTrackStream(gateway.grpcAddress);
    const count = 12;
    for (let index = 0; index < count; index += 1) {
      session.send({
        config:
          index === 0
            ? streamConfig({ policy: 3, maxQueuedFrames: 12, frameDeadlineMs: 1 })
            : undefined,
        cameraId: 'late',
        seq: BigInt(index + 1),
        image: frames[index],
      });
    }
    await finish(session);
    const { dropped } = accountedSeqs(session.results);
    expect(dropped.size).toBeGreaterThanOrEqual(count - 1);
    expect([...dropped.values()].every((reason) => reason === DropReason.DEADLINE)).toBe(true);
  });

  describe('bad input', () => {
    it('refuses a stream whose first frame has no config, naming it', async () => {
      const session = openTrackStream(gateway.grpcAddress);
      session.send({ cameraId: 'a', seq: 1n, image: frames[0] });
      const error = await session.closed;
      expect(error?.code).toBe(status.INVALID_ARGUMENT);
      expect(error?.details).toMatch(/first frame .* config/);
    });

    it('refuses a config on a later frame and a bad config field by name', async () => {
      const later = openTrackStream(gateway.grpcAddress);
      later.send({ config: streamConfig(), cameraId: 'a', seq: 1n, image: frames[0] });
      later.send({ config: streamConfig(), cameraId: 'a', seq: 2n, image: frames[1] });
      expect((await later.closed)?.details).toMatch(/only the first frame/);

      const bad = openTrackStream(gateway.grpcAddress);
      bad.send({
        config: streamConfig({ forecastHorizonsMs: [500, 99_000] }),
        cameraId: 'a',
        seq: 1n,
        image: frames[0],
      });
      const error = await bad.closed;
      expect(error?.code).toBe(status.INVALID_ARGUMENT);
      expect(error?.details).toMatch(/forecast_horizons_ms/);
    });

    it('answers a bad frame with its error and goes on serving the stream', async () => {
      const session = openTrackStream(gateway.grpcAddress);
      session.send({ config: streamConfig(), cameraId: 'cam', seq: 1n, image: frames[0] });
      session.send({ cameraId: 'bad camera!', seq: 2n, image: frames[1] });
      session.send({ cameraId: 'cam', seq: 3n, image: Buffer.from('not an image at all') });
      session.send({ cameraId: 'cam', seq: 3n, image: new Uint8Array() });
      await sleep(400);
      session.send({ cameraId: 'cam', seq: 1n, image: frames[2] });
      session.send({ cameraId: 'cam', seq: 9n, image: frames[3] });
      await finish(session);
      const bySeq = (seq: bigint) => session.results.filter((result) => result.seq === seq);
      expect(bySeq(2n)[0].error?.message).toMatch(/camera_id/);
      const seq3 = bySeq(3n).map((result) => result.error?.message ?? '');
      expect(seq3).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/image is empty/),
          expect.stringMatching(/image|format/i),
        ]),
      );
      expect(
        bySeq(1n).some((result) => /seq 1 .* not after/.test(result.error?.message ?? '')),
      ).toBe(true);
      const last = bySeq(9n)[0];
      expect(last.error).toBeUndefined();
      expect(last.objects.length).toBeGreaterThan(0);
    });

    it('refuses a caller without the model at once, and a tenant past its stream limit', async () => {
      const { key } = await createApiKey(gateway.httpUrl, {
        tenant: 'cameras',
        scopes: ['infer:other'],
      });
      const denied = openTrackStream(gateway.grpcAddress, { apiKey: key });
      denied.send({ config: streamConfig(), cameraId: 'a', seq: 1n, image: frames[0] });
      expect((await denied.closed)?.code).toBe(status.PERMISSION_DENIED);

      const open = [1, 2, 3].map(() => openTrackStream(gateway.grpcAddress));
      await sleep(200);
      const extra = openTrackStream(gateway.grpcAddress);
      const refused = await extra.closed;
      expect(refused?.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(refused?.details).toMatch(/GATEWAY_STREAMS_PER_TENANT/);
      for (const session of open) session.close();
      await Promise.all(open.map((session) => session.closed));
    });
  });
});

function boxOf(object: FrameResult['objects'][number]): Box {
  const { x1, y1, x2, y2 } = object.box!;
  return { x1, y1, x2, y2 };
}
