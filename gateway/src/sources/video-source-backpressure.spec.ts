/**
 * Subscribers that read slowly or never: memory stays bounded per policy, drops are counted, a
 * `block` subscriber really stops ffmpeg through the pipe, and a slow subscriber does not slow
 * a `latest` or `drop-oldest` one. Real ffmpeg, vtest.avi decoded as fast as it goes.
 */
import { pidAlive, sleep, until } from '@test-support';
import type { FrameSubscription } from './bounded-frame-queue';
import { missingVideoPrerequisites, trackedSources, VTEST } from './video-source-fixture';

/** How long a test waits for a state it polls for. */
const WITHIN_MS = 10_000;

/** Reads as fast as frames come, remembering the largest one; stops when the source is over. */
async function readAll(subscription: FrameSubscription, seen: { count: number; maxBytes: number }) {
  for await (const frame of subscription) {
    seen.count += 1;
    seen.maxBytes = Math.max(seen.maxBytes, frame.image.length);
  }
}

describe('VideoSource subscribers under backpressure (real ffmpeg)', () => {
  if (missingVideoPrerequisites()) return;

  const open = trackedSources();

  it('keeps a consumer that never reads bounded, counting drops by policy', async () => {
    const source = open({ url: VTEST, fps: 30, loop: true });
    const latest = source.subscribe({ policy: 'latest' });
    const oldest = source.subscribe({ policy: 'drop-oldest', capacity: 3 });
    const reader = source.subscribe({ policy: 'drop-oldest', capacity: 3 });
    const seen = { count: 0, maxBytes: 0 };
    const reading = readAll(reader, seen);
    source.start();
    await until(() => source.stats().framesRead >= 300, '300 frames', WITHIN_MS);
    const stats = source.stats();
    const idle = [latest.stats(), oldest.stats()];
    await source.close();
    await reading;

    expect(idle[0]).toMatchObject({ queuedFrames: 1, delivered: 0 });
    expect(idle[0].dropped.superseded).toBe(idle[0].offered - 1);
    expect(idle[1]).toMatchObject({ queuedFrames: 3, delivered: 0 });
    expect(idle[1].dropped.evicted).toBe(idle[1].offered - 3);
    expect(idle[0].peakQueuedBytes).toBeLessThanOrEqual(seen.maxBytes);
    expect(idle[1].peakQueuedBytes).toBeLessThanOrEqual(3 * seen.maxBytes);
    // The idle consumers did not hold back the one that reads.
    expect(seen.count).toBeGreaterThanOrEqual(stats.framesRead - 3);
    expect(stats.dropped.superseded).toBeGreaterThanOrEqual(idle[0].dropped.superseded);
    expect(stats.dropped.evicted).toBeGreaterThanOrEqual(idle[1].dropped.evicted);
    expect(stats.queuedBytes).toBeLessThanOrEqual(4 * seen.maxBytes + 3 * seen.maxBytes);
  });

  it('block pauses ffmpeg while the consumer does not read, and resumes without a gap', async () => {
    // A stall timeout far below the pause: a paused source must not count as stalled.
    const source = open({ url: VTEST, fps: 30, loop: true }, { stallTimeoutMs: 400 });
    const blocked = source.subscribe({ policy: 'block', capacity: 4 });
    source.start();
    await until(() => blocked.stats().queuedFrames === 4, 'a full queue', WITHIN_MS);
    await sleep(300);
    const pausedAt = source.stats();
    await sleep(1000);
    const stillPaused = source.stats();
    expect(stillPaused.framesRead).toBe(pausedAt.framesRead);
    expect(stillPaused.bytesRead).toBe(pausedAt.bytesRead);
    expect(stillPaused.framesRead).toBe(4);
    expect(stillPaused).toMatchObject({ state: 'running', restarts: 0, queuedFrames: 4 });
    expect(pidAlive(source.pid ?? 0)).toBe(true);

    const seqs: number[] = [];
    for await (const frame of blocked) {
      seqs.push(frame.seq);
      if (seqs.length === 100) break;
    }
    expect(seqs).toEqual([...Array(100).keys()]);
    expect(source.stats().framesRead).toBeGreaterThanOrEqual(100);
    expect(source.stats().dropped).toEqual({
      oversized: 0,
      malformed: 0,
      superseded: 0,
      evicted: 0,
    });
  });

  it('lets a latest subscriber keep up while a block subscriber holds the source', async () => {
    const source = open({ url: VTEST, fps: 30, loop: true });
    const blocked = source.subscribe({ policy: 'block', capacity: 2 });
    const latest = source.subscribe({ policy: 'latest' });
    source.start();
    await until(() => blocked.stats().queuedFrames === 2, 'a full block queue', WITHIN_MS);
    // Paced by the block subscriber (its choice), the latest subscriber still gets the newest.
    expect((await latest.take())?.seq).toBe(1);
    blocked.close();
    await until(() => source.stats().framesRead > 50, 'reading again', WITHIN_MS);
    expect(latest.stats().queuedFrames).toBeLessThanOrEqual(1);
  });

  it('close() while ffmpeg is blocked writing kills it at once', async () => {
    const source = open({ url: VTEST, fps: 30, loop: true }, { killGraceMs: 5_000 });
    const blocked = source.subscribe({ policy: 'block', capacity: 1 });
    source.start();
    await until(() => blocked.stats().queuedFrames === 1, 'a full queue', WITHIN_MS);
    await sleep(300);
    const pid = source.pid ?? 0;
    const started = Date.now();
    await source.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(pidAlive(pid)).toBe(false);
    expect(await blocked.take()).toBeUndefined();
  });
});
