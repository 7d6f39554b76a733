/**
 * Server-pulled sources end to end: a real gateway, real ffmpeg decoding vtest.avi, the real
 * frame pipeline; AddSource, WatchSource, ListSources, RemoveSource over gRPC.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import {
  credentials,
  makeGenericClientConstructor,
  status,
  type Client,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  AddSourceRequestSchema,
  DropReason,
  FrameResultSchema,
  ListSourcesRequestSchema,
  RemoveSourceRequestSchema,
  StreamService,
  WatchSourceRequestSchema,
  type FrameResult,
  type ListSourcesResponse,
  type Source,
  type StreamConfigSchema,
  type TrackedObject,
} from '@contracts/generated/vision/v1/streams_pb';
import { clientDefinition } from '@contracts/grpc/service-definition';
import { missingPrerequisite, pidAlive, SAMPLE_MEDIA, sleep, until } from '@test-support';
import { iou, type Box } from '@vision-math';
import { ffmpegUnavailableReason } from '../../src/sources';
import { ServedSources } from '../../src/streams/served-sources';
import { WATCH_QUEUE_RESULTS } from '../../src/streams/sources-watcher';
import { sampleValue, scrapeMetric } from '../prometheus-text';
import {
  authHeaders,
  authInterceptor,
  callUnary,
  createApiKey,
  grpcClient,
  startTestGateway,
  TEST_API_KEY,
  type TestGateway,
} from '../test-gateway';
import { streamConfig } from './track-client';

const VTEST = join(SAMPLE_MEDIA, 'vtest.avi');
/** Bytes a watcher may have written and not yet taken (GATEWAY_GRPC_STREAM_MAX_UNSENT_BYTES). */
const MAX_UNSENT = 4096;

/** An AddSource request as the tests write it (config: the test default unless given). */
interface AddInit {
  id: string;
  url: string;
  fps: number;
  loop?: boolean;
  maxWidth?: number;
  config?: MessageInitShape<typeof StreamConfigSchema>;
}

/** How long a test waits for a state it polls for, unless it says otherwise. */
const WITHIN_MS = 15_000;

interface Watch {
  stream: ClientReadableStream<FrameResult>;
  /** Each result with when it arrived. */
  results: { result: FrameResult; atMs: number }[];
  /** The call's status: null when it ended OK. */
  closed: Promise<ServiceError | null>;
}

/**
 * WatchSource as `apiKey`. `windowBytes` sets the client's HTTP/2 receive window: small, a client
 * that stops reading stops taking results after a few of them, as a slow phone would.
 */
function watch(
  address: string,
  id: string,
  { apiKey = TEST_API_KEY, windowBytes }: { apiKey?: string; windowBytes?: number } = {},
): Watch {
  const Constructor = makeGenericClientConstructor(
    clientDefinition(StreamService),
    StreamService.typeName,
  );
  const client = new Constructor(address, credentials.createInsecure(), {
    interceptors: [authInterceptor(apiKey)],
    ...(windowBytes !== undefined && { 'grpc-node.flow_control_window': windowBytes }),
  }) as Client & Record<string, unknown>;
  const method = client.watchSource as (request: unknown) => ClientReadableStream<FrameResult>;
  const stream = method.call(client, create(WatchSourceRequestSchema, { id }));
  const results: Watch['results'] = [];
  stream.on('data', (result: FrameResult) => results.push({ result, atMs: Date.now() }));
  const closed = new Promise<ServiceError | null>((resolve) => {
    stream.on('error', (error: ServiceError) => resolve(error));
    stream.on('end', () => resolve(null));
  });
  void closed.finally(() => client.close());
  return { stream, results, closed };
}

/** Results that answer a frame (not drop-only notices, not errors). */
const answered = (w: Watch): FrameResult[] =>
  w.results.map(({ result }) => result).filter((result) => result.cameraId && !result.error);

function boxOf(object: TrackedObject): Box {
  const { x1, y1, x2, y2 } = object.box!;
  return { x1, y1, x2, y2 };
}

describe('vision.v1.StreamService sources (real ffmpeg)', () => {
  if (missingPrerequisite('ffmpeg', ffmpegUnavailableReason())) return;

  let gateway: TestGateway;
  let client: Client & Record<string, unknown>;
  const folder = mkdtempSync(join(tmpdir(), 'sources-spec-'));

  /** A unary call as `key` on a client of its own (closed after). */
  const callAs = async <Res>(key: string, method: string, request: unknown): Promise<Res> => {
    const own = grpcClient(StreamService, gateway.grpcAddress, { apiKey: key });
    try {
      return await callUnary<Res>(own, method, request);
    } finally {
      own.close();
    }
  };
  const addSource = (request: AddInit, key?: string) => {
    const message = create(AddSourceRequestSchema, { config: streamConfig(), ...request });
    return key
      ? callAs<Source>(key, 'addSource', message)
      : callUnary<Source>(client, 'addSource', message);
  };
  const removeSource = (id: string) =>
    callUnary<Source>(client, 'removeSource', create(RemoveSourceRequestSchema, { id }));
  const listSources = async () =>
    (await callUnary<ListSourcesResponse>(client, 'listSources', create(ListSourcesRequestSchema)))
      .sources;
  const sourceNamed = async (id: string) => (await listSources()).find((s) => s.id === id);
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: ServiceError) => error,
    );

  beforeAll(async () => {
    gateway = await startTestGateway({
      GATEWAY_REID_MODEL: '',
      GATEWAY_SOURCES_MAX: '4',
      GATEWAY_STREAMS_PER_TENANT: '3',
      GATEWAY_GRPC_STREAM_MAX_UNSENT_BYTES: String(MAX_UNSENT),
    });
    client = grpcClient(StreamService, gateway.grpcAddress);
  });

  afterAll(async () => {
    client?.close();
    await gateway?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('serves a looping file to a watcher with stable tracks; lists it; RemoveSource ends the watch and ffmpeg', async () => {
    const added = await addSource({ id: 'lobby', url: VTEST, fps: 5, loop: true });
    expect(added).toMatchObject({ id: 'lobby', url: VTEST, state: 'starting', subscribers: 0 });
    const watcher = watch(gateway.grpcAddress, 'lobby');
    await until(() => answered(watcher).length >= 20, '20 results', 20_000);
    const first = await sourceNamed('lobby');
    expect(first).toMatchObject({ state: 'running', subscribers: 1, lastError: '' });
    await sleep(1000);
    const second = (await sourceNamed('lobby'))!;
    expect(second.framesRead).toBeGreaterThan(first!.framesRead);
    expect(second.framesServed).toBeGreaterThan(first!.framesServed);

    const pid = gateway.app.get(ServedSources).get('lobby').pid!;
    expect(pidAlive(pid)).toBe(true);
    expect(await scrapeMetric(gateway, 'gateway_source_up', { source: 'lobby' })).toBe(1);
    expect(
      await scrapeMetric(gateway, 'gateway_source_frames_total', {
        source: 'lobby',
        outcome: 'served',
      }),
    ).toBeGreaterThan(10);
    expect(await scrapeMetric(gateway, 'gateway_streams_open', { kind: 'watch' })).toBe(1);

    const removed = await removeSource('lobby');
    expect(removed).toMatchObject({ id: 'lobby', state: 'closed' });
    expect(await watcher.closed).toBeNull();
    expect(pidAlive(pid)).toBe(false);
    expect(await listSources()).toEqual([]);
    const metrics = await (
      await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() })
    ).text();
    expect(sampleValue(metrics, 'gateway_source_up', { source: 'lobby' })).toBeUndefined();
    expect(sampleValue(metrics, 'gateway_source_frames_total', { source: 'lobby' })).toBe(
      undefined,
    );
    expect(sampleValue(metrics, 'gateway_streams_open', { kind: 'watch' })).toBe(0);

    const results = answered(watcher);
    expect(results.every((result) => result.cameraId === 'lobby')).toBe(true);
    const seqs = results.map((result) => result.seq);
    for (let k = 1; k < seqs.length; k += 1) expect(seqs[k]).toBeGreaterThan(seqs[k - 1]);
    const spanS = (watcher.results.at(-1)!.atMs - watcher.results[0].atMs) / 1000;
    console.log(
      `source at 5 fps: ${results.length} results in ${spanS.toFixed(1)} s (${(results.length / spanS).toFixed(1)}/s), people per result ${results.map((result) => result.objects.length).join(' ')}, frames read ${removed.framesRead}, served ${removed.framesServed}, dropped ${removed.framesDropped}`,
    );
    expect(results.length / spanS).toBeGreaterThan(3.5);
    // vtest.avi shows several walking people; a person keeps their track id frame to frame.
    const crowded = results.filter((result) => result.objects.length > 2);
    expect(crowded.length).toBeGreaterThanOrEqual(results.length * 0.8);
    let continued = 0;
    let switched = 0;
    for (let k = 1; k < results.length; k += 1) {
      for (const object of results[k].objects) {
        // The same person 0.2 s earlier: the box that overlaps this one most.
        let before: TrackedObject | undefined;
        let best = 0.5;
        for (const previous of results[k - 1].objects) {
          const overlap = iou(boxOf(previous), boxOf(object));
          if (overlap >= best) {
            best = overlap;
            before = previous;
          }
        }
        if (!before) continue;
        if (before.trackId === object.trackId) continued += 1;
        else switched += 1;
      }
    }
    console.log(`track ids: ${continued} continued, ${switched} switched between results`);
    // About 3 people a frame, most overlapping themselves 0.2 s later. Ids are kept across the
    // source's frames; the few switches are ByteTrack's at 5 fps (two people walking side by side
    // in one box at times), which stream-track.spec.ts measures at 10 fps.
    expect(continued).toBeGreaterThan(results.length * 1.5);
    expect(switched / (continued + switched)).toBeLessThan(0.15);
  });

  it('a watcher that stops reading keeps a bounded queue, is told its drops, and slows nobody', async () => {
    await addSource({ id: 'hall', url: VTEST, fps: 10, loop: true });
    const reader = watch(gateway.grpcAddress, 'hall');
    const paused = watch(gateway.grpcAddress, 'hall', { windowBytes: 4096 });
    paused.stream.pause();
    const served = gateway.app.get(ServedSources).get('hall');
    let peakQueued = 0;
    let peakUnsent = 0;
    let droppedByPaused = 0;
    const startedAt = Date.now();
    const servedBefore = (await sourceNamed('hall'))!.framesServed;
    await until(
      () => {
        const stats = served.watcherStats();
        for (const one of stats) {
          peakQueued = Math.max(peakQueued, one.queuedResults);
          peakUnsent = Math.max(peakUnsent, one.unsentBytes);
        }
        droppedByPaused = Math.max(0, ...stats.map((one) => one.droppedResults));
        return droppedByPaused >= 10;
      },
      'the paused watcher to lose 10 results',
      30_000,
    );
    const servedDuring = Number((await sourceNamed('hall'))!.framesServed - servedBefore);
    const readerDuring = reader.results.filter(({ atMs }) => atMs >= startedAt);
    const gaps = readerDuring.slice(1).map(({ atMs }, k) => atMs - readerDuring[k].atMs);
    const seconds = (Date.now() - startedAt) / 1000;
    const resultBytes =
      readerDuring.reduce(
        (sum, { result }) => sum + toBinary(FrameResultSchema, result).length,
        0,
      ) / readerDuring.length;
    console.log(
      `paused watcher: peak ${peakQueued} results queued (bound ${WATCH_QUEUE_RESULTS}, ~${((peakQueued * resultBytes) / 1024).toFixed(0)} KiB at ${resultBytes.toFixed(0)} B a result), peak ${peakUnsent} B unsent (bound ${MAX_UNSENT}), ${droppedByPaused} dropped; reader got ${readerDuring.length} results in ${seconds.toFixed(1)} s while the source served ${servedDuring}, longest gap ${Math.max(...gaps)} ms`,
    );
    expect(peakQueued).toBeLessThanOrEqual(WATCH_QUEUE_RESULTS);
    // One result may start while under the bound.
    expect(peakUnsent).toBeLessThan(MAX_UNSENT + 4096);
    // The reader is not held back: it gets every result the source serves, as it serves them.
    expect(readerDuring.length).toBeGreaterThanOrEqual(servedDuring - 2);
    expect(Math.max(...gaps)).toBeLessThan(1500);

    paused.stream.resume();
    await until(
      () => {
        const last = answered(paused).at(-1)?.seq ?? -1n;
        return last >= (answered(reader).at(-1)?.seq ?? 0n);
      },
      'the paused watcher to catch up',
      WITHIN_MS,
    );
    await removeSource('hall');
    expect(await reader.closed).toBeNull();
    expect(await paused.closed).toBeNull();

    const got = new Set(answered(paused).map((result) => result.seq));
    const queueFull = new Set(
      paused.results.flatMap(({ result }) =>
        result.dropped
          .filter((drop) => drop.reason === DropReason.QUEUE_FULL)
          .map((drop) => drop.seq),
      ),
    );
    expect(queueFull.size).toBeGreaterThanOrEqual(10);
    // Every result the reader got, the paused watcher got too or was told it lost.
    const from = answered(paused)[0].seq;
    const missing = answered(reader)
      .map((result) => result.seq)
      .filter((seq) => seq >= from && !got.has(seq) && !queueFull.has(seq));
    expect(missing).toEqual([]);
  });

  it('refuses bad requests with their status, naming the field', async () => {
    const expectRefusal = async (request: AddInit, code: status, details: RegExp) => {
      const error = await refusal(addSource(request));
      expect({ code: error.code, details: error.details }).toEqual({
        code,
        details: expect.stringMatching(details),
      });
    };
    const good = { id: 'door', url: VTEST, fps: 2, loop: true };
    await expectRefusal({ ...good, id: 'Door_1' }, status.INVALID_ARGUMENT, /^id 'Door_1'/);
    await expectRefusal({ ...good, id: '' }, status.INVALID_ARGUMENT, /^id ''/);
    await expectRefusal(
      { ...good, url: 'videos/vtest.avi' },
      status.INVALID_ARGUMENT,
      /^url .*relative/,
    );
    await expectRefusal(
      { ...good, url: 'file:///etc/passwd' },
      status.INVALID_ARGUMENT,
      /^url scheme 'file:' is not accepted/,
    );
    await expectRefusal(
      { ...good, url: '/no/such/file.avi' },
      status.INVALID_ARGUMENT,
      /^url .*does not exist/,
    );
    await expectRefusal({ ...good, fps: 0 }, status.INVALID_ARGUMENT, /^fps must be from 1 to 30/);
    await expectRefusal({ ...good, fps: 31 }, status.INVALID_ARGUMENT, /^fps must be from 1 to 30/);
    await expectRefusal({ ...good, maxWidth: 8 }, status.INVALID_ARGUMENT, /^max_width /);
    await expectRefusal(
      { ...good, url: 'http://camera.invalid/live', loop: true },
      status.INVALID_ARGUMENT,
      /^loop /,
    );
    await expectRefusal(
      { ...good, config: streamConfig({ frameDeadlineMs: 90_000 }) },
      status.INVALID_ARGUMENT,
      /^config.frame_deadline_ms/,
    );
    await expectRefusal(
      { ...good, config: streamConfig({ policy: 3 /* BLOCK */ }) },
      status.INVALID_ARGUMENT,
      /^config.policy BLOCK/,
    );

    const { key } = await createApiKey(gateway.httpUrl, { tenant: 'viewers', scopes: ['infer:*'] });
    const denied = await refusal(addSource(good, key));
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(denied.details).toMatch(/admin/);
    const deniedList = await refusal(callAs(key, 'listSources', create(ListSourcesRequestSchema)));
    expect(deniedList.code).toBe(status.PERMISSION_DENIED);
    expect((await watch(gateway.grpcAddress, 'door', { apiKey: key }).closed)?.code).toBe(
      status.PERMISSION_DENIED,
    );

    expect((await watch(gateway.grpcAddress, 'nobody').closed)?.code).toBe(status.NOT_FOUND);
    const unknown = await refusal(removeSource('nobody'));
    expect({ code: unknown.code, details: unknown.details }).toEqual({
      code: status.NOT_FOUND,
      details: "there is no source 'nobody'",
    });

    await addSource(good);
    await expectRefusal(good, status.FAILED_PRECONDITION, /^source id 'door' is taken/);
    // A watch is one of the tenant's streams (GATEWAY_STREAMS_PER_TENANT=3).
    const watches = [1, 2, 3].map(() => watch(gateway.grpcAddress, 'door'));
    await until(
      async () => (await sourceNamed('door'))?.subscribers === 3,
      '3 watchers',
      WITHIN_MS,
    );
    const extra = await watch(gateway.grpcAddress, 'door').closed;
    expect(extra?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(extra?.details).toMatch(/GATEWAY_STREAMS_PER_TENANT/);
    await removeSource('door');
    for (const one of watches) expect(await one.closed).toBeNull();
  });

  it('a source whose file is gone when ffmpeg dies backs off, says why and counts restarts', async () => {
    const file = join(folder, 'comes-and-goes.avi');
    copyFileSync(VTEST, file);
    await addSource({ id: 'flaky', url: file, fps: 2, loop: true });
    const served = gateway.app.get(ServedSources).get('flaky');
    await until(async () => (await sourceNamed('flaky'))?.state === 'running', 'ffmpeg', WITHIN_MS);
    const pid = served.pid!;
    unlinkSync(file);
    process.kill(pid, 'SIGKILL');
    await until(
      async () => ((await sourceNamed('flaky'))?.restarts ?? 0) >= 2,
      '2 restarts',
      WITHIN_MS,
    );
    const source = (await sourceNamed('flaky'))!;
    expect(source.state).toMatch(/^(backoff|starting)$/);
    expect(source.lastError).toMatch(/No such file or directory/);
    expect(
      await scrapeMetric(gateway, 'gateway_source_restarts_total', { source: 'flaky' }),
    ).toBeGreaterThanOrEqual(2);
    expect(await scrapeMetric(gateway, 'gateway_source_up', { source: 'flaky' })).toBe(0);
    await removeSource('flaky');
    expect(served.pid).toBeUndefined();
    expect(existsSync(file)).toBe(false);
  });

  it('a file without loop ends: its watchers get every result then OK, and it is listed ended', async () => {
    const clip = join(folder, 'short.avi');
    execFileSync('ffmpeg', ['-v', 'error', '-i', VTEST, '-frames:v', '20', '-c', 'copy', clip]);
    await addSource({ id: 'clip', url: clip, fps: 5 });
    const watcher = watch(gateway.grpcAddress, 'clip');
    expect(await watcher.closed).toBeNull();
    const source = (await sourceNamed('clip'))!;
    expect(source).toMatchObject({ state: 'ended', subscribers: 0, restarts: 0 });
    // Every frame read was served or dropped; the watcher got each served one.
    expect(source.framesServed + source.framesDropped).toBe(source.framesRead);
    expect(BigInt(answered(watcher).length)).toBe(source.framesServed);
    expect(source.framesServed).toBeGreaterThan(3n);
    expect(gateway.app.get(ServedSources).get('clip').pid).toBeUndefined();
    // Watching a source that ended ends at once.
    const late = watch(gateway.grpcAddress, 'clip');
    expect(await late.closed).toBeNull();
    expect(late.results).toEqual([]);
    await removeSource('clip');
  });

  it('never shows a camera password: not in url, not in last_error', async () => {
    const url = 'rtsp://admin:s3cret@127.0.0.1:9/live';
    const added = await addSource({ id: 'cam', url, fps: 5 });
    expect(added.url).toBe('rtsp://***@127.0.0.1:9/live');
    await until(
      async () => (await sourceNamed('cam'))?.lastError !== '',
      'a failed run',
      WITHIN_MS,
    );
    const source = (await sourceNamed('cam'))!;
    expect(source.state).toMatch(/^(backoff|starting)$/);
    expect(`${source.url} ${source.lastError}`).not.toMatch(/s3cret/);
    expect(source.lastError).toMatch(/Connection refused/);
    await removeSource('cam');
  });

  it('refuses a source past GATEWAY_SOURCES_MAX; shutdown closes every source', async () => {
    const small = await startTestGateway({ GATEWAY_REID_MODEL: '', GATEWAY_SOURCES_MAX: '1' });
    const smallClient = grpcClient(StreamService, small.grpcAddress);
    let pid: number | undefined;
    let watcher: Watch | undefined;
    try {
      const add = (id: string) =>
        callUnary<Source>(
          smallClient,
          'addSource',
          create(AddSourceRequestSchema, {
            id,
            url: VTEST,
            fps: 1,
            loop: true,
            config: streamConfig(),
          }),
        );
      await add('only');
      const over = await refusal(add('second'));
      expect(over.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(over.details).toMatch(/GATEWAY_SOURCES_MAX=1/);
      const sources = small.app.get(ServedSources);
      await until(() => sources.get('only').pid !== undefined, 'ffmpeg', WITHIN_MS);
      pid = sources.get('only').pid!;
      watcher = watch(small.grpcAddress, 'only');
      await until(() => sources.get('only').watcherStats().length === 1, 'a watcher', WITHIN_MS);
    } finally {
      smallClient.close();
      const closing = Date.now();
      await small.close();
      console.log(`gateway with a watched source closed in ${Date.now() - closing} ms`);
    }
    expect(await watcher?.closed).toBeNull();
    expect(pid !== undefined && pidAlive(pid)).toBe(false);
  });
});
