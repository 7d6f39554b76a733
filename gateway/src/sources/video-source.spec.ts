/**
 * VideoSource against the real ffmpeg on real media: frames, pacing, scaling, looping, the end
 * of a file, HTTP input, and ffmpeg's own refusal of a hostile file.
 */
import { createReadStream, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { pidAlive, until } from '@test-support';
import type { FrameSubscription, VideoFrame } from './bounded-frame-queue';
import type { VideoSourceState } from './video-source';
import {
  missingVideoPrerequisites,
  trackedSources,
  VTEST,
  withShortClip,
} from './video-source-fixture';

async function take(subscription: FrameSubscription, count: number): Promise<VideoFrame[]> {
  const frames: VideoFrame[] = [];
  while (frames.length < count) {
    const frame = await subscription.take();
    if (!frame) break;
    frames.push(frame);
  }
  return frames;
}

async function dimensions(
  image: Buffer,
): Promise<[number | undefined, number | undefined, string]> {
  const { width, height, format } = await sharp(image).metadata();
  return [width, height, format];
}

describe('VideoSource with real ffmpeg', () => {
  if (missingVideoPrerequisites()) return;

  const open = trackedSources();
  const { folder, shortClip } = withShortClip('video-source-');

  it('delivers valid JPEGs at the requested fps in real time, seq monotonic', async () => {
    const source = open({ url: VTEST, fps: 5, realtime: true });
    const subscription = source.subscribe({ policy: 'drop-oldest', capacity: 32 });
    source.start();
    const frames = await take(subscription, 14);
    expect(frames.map((frame) => frame.seq)).toEqual([...Array(14).keys()]);
    // From the second frame: the first one's time includes ffmpeg's start.
    const seconds = (frames[13].captureTimeMs - frames[1].captureTimeMs) / 1000;
    const fps = 12 / seconds;
    expect(fps).toBeGreaterThan(4.5);
    expect(fps).toBeLessThan(5.5);
    expect(await dimensions(frames[0].image)).toEqual([768, 576, 'jpeg']);
    expect(await dimensions(frames[13].image)).toEqual([768, 576, 'jpeg']);
    expect(source.state).toBe('running');
    expect(source.stats()).toMatchObject({ framesRead: 14, restarts: 0, lastError: undefined });
  });

  it('scales down to maxWidth keeping the aspect ratio, and never up', async () => {
    const smaller = open({ url: VTEST, fps: 10, maxWidth: 320 });
    const larger = open({ url: VTEST, fps: 10, maxWidth: 1000 });
    const [small, large] = [smaller, larger].map((source) => {
      const subscription = source.subscribe({ policy: 'latest' });
      source.start();
      return subscription;
    });
    expect(await dimensions((await take(small, 1))[0].image)).toEqual([320, 240, 'jpeg']);
    expect(await dimensions((await take(large, 1))[0].image)).toEqual([768, 576, 'jpeg']);
  });

  it('loops a file past its end when asked', async () => {
    const source = open({ url: shortClip, fps: 10, loop: true });
    const subscription = source.subscribe({ policy: 'block', capacity: 8 });
    source.start();
    const frames = await take(subscription, 35);
    expect(frames).toHaveLength(35);
    expect(source.state).toBe('running');
    expect(source.stats().restarts).toBe(0);
  });

  it('ends a file that is not looping: no restart, subscribers drain, no child left', async () => {
    const source = open({ url: shortClip, fps: 10 });
    const subscription = source.subscribe({ policy: 'block', capacity: 4 });
    const states: VideoSourceState[] = [];
    source.onStateChange((change) => states.push(change.state));
    source.start();
    const pid = source.pid;
    const frames = await take(subscription, 100);
    expect(frames.length).toBeGreaterThanOrEqual(9);
    expect(frames.length).toBeLessThanOrEqual(11);
    expect(states).toEqual(['starting', 'running', 'ended']);
    expect(source.stats()).toMatchObject({ restarts: 0, lastError: undefined, pid: undefined });
    expect(pidAlive(pid ?? 0)).toBe(false);
    expect(await source.subscribe({ policy: 'latest' }).take()).toBeUndefined();
  });

  describe('over HTTP', () => {
    let server: Server;
    let base: string;
    const requests: string[] = [];

    beforeAll(async () => {
      server = createServer((request, response) => {
        requests.push(request.url ?? '');
        response.writeHead(200, { 'content-type': 'video/x-msvideo' });
        createReadStream(VTEST).pipe(response);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('decodes a file streamed by an HTTP server', async () => {
      const source = open({ url: `${base}/vtest.avi`, fps: 10, maxWidth: 384 });
      const subscription = source.subscribe({ policy: 'drop-oldest', capacity: 8 });
      source.start();
      const frames = await take(subscription, 5);
      expect(frames.map((frame) => frame.seq)).toEqual([0, 1, 2, 3, 4]);
      expect(await dimensions(frames[4].image)).toEqual([384, 288, 'jpeg']);
      expect(requests).toEqual(['/vtest.avi']);
    });
  });

  it('lets ffmpeg open no playlist or list file disguised as a video', async () => {
    const playlist = join(folder, 'playlist.avi');
    writeFileSync(
      playlist,
      '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\n/etc/passwd\n#EXT-X-ENDLIST\n',
    );
    const list = join(folder, 'list.mp4');
    writeFileSync(list, `ffconcat version 1.0\nfile ${VTEST}\n`);
    for (const url of [playlist, list]) {
      const source = open({ url, fps: 5 }, { backoff: { initialMs: 5_000, maxMs: 5_000 } });
      const subscription = source.subscribe({ policy: 'latest' });
      source.start();
      await until(() => source.state === 'backoff', `${url} in backoff`, 10_000);
      expect(source.lastError).toMatch(/exited with code 1: .*Format not on whitelist/s);
      expect(subscription.poll()).toBeUndefined();
      expect(source.stats().framesRead).toBe(0);
    }
  });
});
