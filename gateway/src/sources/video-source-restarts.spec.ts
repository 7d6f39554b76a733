/**
 * Failures of the real ffmpeg and what the source does about them: a file gone missing, an
 * unreachable server, a killed child, a stalled stream, no ffmpeg at all; close() in each state
 * leaves no process behind.
 */
import { copyFileSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pidAlive, sleep, until } from '@test-support';
import type { VideoFrame } from './bounded-frame-queue';
import type { SourceStateChange, VideoSource, VideoSourceState } from './video-source';
import {
  missingVideoPrerequisites,
  trackedSources,
  VTEST,
  withShortClip,
} from './video-source-fixture';

/** Short waits so several restarts fit in a test; no jitter so the waits can be checked. */
const QUICK_BACKOFF = { initialMs: 100, maxMs: 400, healthyRunMs: 60_000, jitterRatio: 0 };
/** How long a test waits for a state it polls for. */
const WITHIN_MS = 10_000;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** State changes with the time each happened. */
function record(source: VideoSource): Array<SourceStateChange & { atMs: number }> {
  const changes: Array<SourceStateChange & { atMs: number }> = [];
  source.onStateChange((change) => changes.push({ ...change, atMs: Date.now() }));
  return changes;
}

describe('VideoSource restarts and close (real ffmpeg)', () => {
  if (missingVideoPrerequisites()) return;

  // Sources are closed after each test, before the servers they read from.
  const open = trackedSources({ backoff: QUICK_BACKOFF });
  const { folder, shortClip } = withShortClip('video-source-restarts-');
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(stop));
  });

  it('backs off exponentially while the file is missing and recovers when it returns', async () => {
    const file = join(folder, 'comes-and-goes.avi');
    copyFileSync(shortClip, file);
    const source = open({ url: file, fps: 10, loop: true });
    unlinkSync(file);
    const changes = record(source);
    const subscription = source.subscribe({ policy: 'latest' });
    source.start();
    await until(() => source.stats().restarts >= 4, '4 restarts', WITHIN_MS);
    expect(source.lastError).toBe(
      `ffmpeg exited with code 1: file:${file}: No such file or directory`,
    );
    const backoffs = changes.filter((change) => change.state === 'backoff');
    expect(backoffs.slice(0, 4).map((change) => change.retryInMs)).toEqual([100, 200, 400, 400]);
    // Each restart came no sooner than its announced wait.
    const starts = changes.filter((change) => change.state === 'starting');
    for (let k = 0; k < 4; k++) {
      expect(starts[k + 1].atMs - backoffs[k].atMs).toBeGreaterThanOrEqual(
        (backoffs[k].retryInMs ?? 0) - 5,
      );
    }
    expect(source.stats().consecutiveFailures).toBeGreaterThanOrEqual(4);

    copyFileSync(shortClip, file);
    expect(await subscription.take()).toBeDefined();
    expect(source.state).toBe('running');
  });

  it('reports an unreachable server and close() during backoff cancels the restart', async () => {
    const closed = createServer();
    const url = `${await listen(closed)}/x`;
    await stop(closed);
    const source = open({ url, fps: 5 }, { backoff: { ...QUICK_BACKOFF, initialMs: 300 } });
    source.start();
    await until(() => source.state === 'backoff', 'backoff', WITHIN_MS);
    expect(source.lastError).toMatch(/^ffmpeg exited with code 1: .*Connection refused/s);
    expect(source.pid).toBeUndefined();
    await source.close();
    await sleep(500);
    expect(source.stats()).toMatchObject({ state: 'closed', restarts: 0, pid: undefined });
  });

  it('restarts a killed ffmpeg, keeping seq monotonic across runs', async () => {
    const source = open({ url: shortClip, fps: 10, loop: true, realtime: true });
    const changes = record(source);
    const subscription = source.subscribe({ policy: 'drop-oldest', capacity: 64 });
    source.start();
    const before: VideoFrame[] = [];
    for (let k = 0; k < 3; k++) before.push((await subscription.take()) as VideoFrame);
    const first = source.pid ?? 0;
    const killedAt = Date.now();
    process.kill(first, 'SIGKILL');
    await until(() => source.pid !== undefined && source.pid !== first, 'a new ffmpeg', WITHIN_MS);
    const after: VideoFrame[] = [];
    while (after.length < 3) {
      const frame = (await subscription.take()) as VideoFrame;
      if (frame.captureTimeMs > killedAt) after.push(frame);
    }
    const backoff = changes.find((change) => change.state === 'backoff');
    expect(backoff?.error).toBe('ffmpeg was killed by SIGKILL');
    expect(source.lastError).toBe('ffmpeg was killed by SIGKILL');
    expect(source.stats()).toMatchObject({ restarts: 1, state: 'running' });
    expect(pidAlive(first)).toBe(false);
    const seqs = [...before, ...after].map((frame) => frame.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('restarts a stream that stops sending frames (stall) while the connection stays open', async () => {
    const head = readFileSync(VTEST).subarray(0, 400_000);
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'video/x-msvideo' });
      // The start of the file, then silence: ffmpeg waits on the socket.
      response.write(head);
    });
    servers.push(server);
    const base = await listen(server);
    const source = open(
      { url: `${base}/stalls.avi`, fps: 10 },
      { stallTimeoutMs: 800, ioTimeoutMs: 60_000, killGraceMs: 1_500 },
    );
    const changes = record(source);
    const subscription = source.subscribe({ policy: 'latest' });
    let lastFrameAt = 0;
    const reading = (async () => {
      for await (const frame of subscription) lastFrameAt = frame.captureTimeMs;
    })();
    source.start();
    await until(() => source.state === 'backoff', 'backoff', WITHIN_MS);
    const states: VideoSourceState[] = changes.map((change) => change.state);
    expect(states).toEqual(['starting', 'running', 'backoff']);
    expect(source.lastError).toBe('stalled: no frame for 800 ms');
    expect(source.stats().framesRead).toBeGreaterThan(0);
    // Detected after stallTimeoutMs and killed at once, without waiting out killGraceMs.
    expect(changes[2].atMs - lastFrameAt).toBeGreaterThanOrEqual(800);
    expect(changes[2].atMs - lastFrameAt).toBeLessThan(800 + 1_000);
    await until(
      () => source.stats().restarts === 1 && source.pid !== undefined,
      'a restart',
      WITHIN_MS,
    );
    // close() reaches a child blocked reading the socket too (SIGKILL after killGraceMs).
    const pid = source.pid ?? 0;
    await source.close();
    expect(pidAlive(pid)).toBe(false);
    await reading;
  });

  it('keeps retrying when ffmpeg itself is missing, saying why', async () => {
    const source = open({ url: shortClip, fps: 5 }, { ffmpegPath: '/nonexistent/ffmpeg' });
    source.start();
    await until(() => source.stats().restarts >= 2, '2 restarts', WITHIN_MS);
    expect(source.lastError).toBe('ffmpeg could not start: spawn /nonexistent/ffmpeg ENOENT');
    expect(source.state).not.toBe('running');
  });

  it('close() while running ends ffmpeg and the subscriptions', async () => {
    const source = open({ url: VTEST, fps: 10, realtime: true });
    const subscription = source.subscribe({ policy: 'latest' });
    source.start();
    await subscription.take();
    const pid = source.pid ?? 0;
    expect(pidAlive(pid)).toBe(true);
    const waiting = subscription.take();
    const started = Date.now();
    await source.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(pidAlive(pid)).toBe(false);
    await expect(waiting).resolves.toBeUndefined();
    expect(source.stats()).toMatchObject({ state: 'closed', pid: undefined, subscribers: 0 });
  });
});
