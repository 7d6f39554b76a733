/**
 * Issue 10's soak: for a bounded time (SOAK_MS, default one minute, loopback only), normal detect
 * traffic shares a real gateway (child process) with every hostile pattern the issue found, all at
 * once: tensor bombs, repeated outputs, anonymous callers inventing model names, wrong secrets for a
 * known key id, uploads that never finish, gRPC streams that never read, half-sent and anonymous
 * gRPC messages, images that cost more than their pixels. Asserted: the gateway lives, normal
 * traffic is served (all 200, p99 under a bound an order of magnitude below what the broken gateway
 * did), memory stays bounded and comes back, and every hostile call got its typed refusal.
 */
import { toBinary } from '@bufbuild/protobuf';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelInferRequestSchema } from '@contracts/generated/inference/grpc_service_pb';
import { memory, resetPeakRss } from '@test-support';
import {
  NANODET_INPUT_SIZE,
  nanodetBinaryInferBody,
  nanodetInferRequest,
} from '../nanodet-reference';
import { authHeaders, sampleImage, seededFloats, TEST_API_KEY } from '../test-gateway';
import { startMeteredGateway, type MeteredGateway } from './cost-meter';
import { keyIdOf, wrongSecretFor } from './credential-attack';
import { zeroPng } from './hostile-images';
import { binaryBytesBomb, jsonBytesBomb } from './hostile-inputs';
import {
  grpcFrame,
  MODEL_INFER,
  MODEL_STREAM_INFER,
  pushBytes,
  rawCall,
  rawSession,
} from './raw-grpc';
import { openRaw, requestHead, writeBody } from './raw-http';

const MIB = 1024 * 1024;
const SOAK_MS = Number(process.env.SOAK_MS ?? 60_000);
/** Normal callers, one request at a time each (a camera or an app), as the overload test's bulk. */
const NORMAL_CALLERS = 2;
/**
 * The normal traffic's p99. A detect takes ~60-200 ms here; before the fixes, one hostile request
 * held every caller for 4-27 s. The bound leaves room for two cores shared with the hostile load
 * (whose refusals still cost some CPU: inflating, scanning) and the test process itself.
 */
const NORMAL_P99_BOUND_MS = 2000;
/**
 * Peak RSS growth over the soak: what the gateway may hold at once by design (HTTP bodies still
 * arriving: GATEWAY_HTTP_BODY_BUDGET_BYTES, set to 128 MiB here; decoded tensors of a few calls;
 * gRPC windows) plus allocator and V8 slack. The broken gateway grew by gigabytes, or died.
 */
const RSS_PEAK_GROWTH_BOUND_MIB = 768;
/**
 * RSS 8 s after the soak (the idle reclaim's interval is 2 s here) over RSS before it: finding 10,
 * memory comes back. A warm gateway keeps +260-380 MiB after bursts (ONNX Runtime's arena at the
 * batch sizes it saw, allocator arenas, V8: load-tests/results/rss-recovery.md); before the fixes
 * it stayed at 1.1-1.7 GB.
 */
const RSS_AFTER_GROWTH_BOUND_MIB = 448;

interface Tally {
  [outcome: string]: number;
}

function count(tally: Tally, outcome: string | number): void {
  tally[outcome] = (tally[outcome] ?? 0) + 1;
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
}

jest.setTimeout(SOAK_MS + 180_000);

describe('hostile soak: normal detects while every hostile pattern runs at once', () => {
  let gateway: MeteredGateway;

  beforeAll(async () => {
    gateway = await startMeteredGateway({
      GATEWAY_HTTP_REQUEST_TIMEOUT_MS: '4000',
      GATEWAY_HTTP_BODY_BUDGET_BYTES: String(128 * MIB),
      GATEWAY_GRPC_RECEIVE_TIMEOUT_MS: '3000',
      // The idle reclaim looks every 2 s here (10 s by default), so the test need not wait long.
      GATEWAY_IDLE_RECLAIM_MS: '2000',
    });
  });
  afterAll(() => gateway?.kill());

  it(`serves normal traffic within bounds for ${SOAK_MS / 1000} s of mixed hostile traffic`, async () => {
    const jpeg = sampleImage('messi5.jpg');
    const png = sampleImage('basketball1.png');
    const tensorBombs = [
      {
        body: gzipSync(jsonBytesBomb(21_000_000)),
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      },
      (() => {
        const raw = binaryBytesBomb(16_500_000);
        return {
          body: gzipSync(raw.body),
          headers: {
            'content-type': 'application/octet-stream',
            'content-encoding': 'gzip',
            'inference-header-content-length': String(raw.headerLength),
          },
        };
      })(),
    ];
    const repeatedOutputs = nanodetBinaryInferBody(seededFloats(NANODET_INPUT_SIZE), 1, {
      outputs: Array.from({ length: 150 }, () => ({
        name: 'cls_s8',
        parameters: { binary_data: true },
      })),
    });
    const inferFrame = grpcFrame(
      toBinary(
        ModelInferRequestSchema,
        nanodetInferRequest(seededFloats(NANODET_INPUT_SIZE), 1, { id: 'soak' }),
      ),
    );
    const costlyImages = [
      zeroPng({ width: 1, height: 39_999_999, channels: 1 }),
      zeroPng({ width: 6300, height: 6300, channels: 4, bitDepth: 16, interlaced: true }),
    ];

    // Warm the gateway with normal traffic as the soak sends it (ONNX Runtime's arena, allocator
    // arenas, V8 grow to their working size) before the baseline memory reading.
    await Promise.all(
      Array.from({ length: NORMAL_CALLERS }, async () => {
        for (let i = 0; i < 10; i += 1) {
          await detect(gateway, i % 2 ? png : jpeg, i % 2 ? 'image/png' : 'image/jpeg');
        }
      }),
    );
    await sleep(3000);
    await gateway.inside();
    resetPeakRss(gateway.pid);
    const rssBefore = memory(gateway.pid).rssMiB;

    const end = Date.now() + SOAK_MS;
    const running = (): boolean => Date.now() < end && gateway.alive();
    const hostile: Record<string, Tally> = {};
    const tally = (pattern: string): Tally => (hostile[pattern] ??= {});
    const loop = async (pattern: string, pauseMs: number, body: () => Promise<string | number>) => {
      while (running()) {
        count(tally(pattern), await body().catch((error: Error) => `error: ${error.message}`));
        await sleep(pauseMs);
      }
    };
    const post = async (path: string, init: RequestInit): Promise<number> => {
      const response = await fetch(`${gateway.httpUrl}${path}`, {
        method: 'POST',
        ...init,
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      return response.status;
    };

    const normalLatencies: number[] = [];
    const normalStatuses: Tally = {};
    const normal = Array.from({ length: NORMAL_CALLERS }, async (_, caller) => {
      for (let i = 0; running(); i += 1) {
        const started = performance.now();
        const status = await detect(
          gateway,
          (i + caller) % 2 ? png : jpeg,
          (i + caller) % 2 ? 'image/png' : 'image/jpeg',
        );
        normalLatencies.push(performance.now() - started);
        count(normalStatuses, status);
      }
    });

    const attackers = [
      loop('tensor bombs (gzip BYTES, JSON and binary)', 500, async () => {
        const bomb = tensorBombs[Math.floor(Math.random() * tensorBombs.length)];
        return post('/v2/models/nanodet/infer', {
          headers: { ...authHeaders(), ...bomb.headers },
          body: bomb.body,
        });
      }),
      loop('output requested 150 times', 250, () =>
        post('/v2/models/nanodet/infer', {
          headers: { ...authHeaders(), ...repeatedOutputs.headers },
          body: repeatedOutputs.body,
        }),
      ),
      loop('anonymous, invented model names', 10, () =>
        post(
          `/v2/models/${randomBytes(6).toString('hex')}/versions/${Math.floor(Math.random() * 1e6)}/infer`,
          {
            body: '{}',
          },
        ),
      ),
      loop('wrong secrets for a known key id', 50, () =>
        post('/v1/models/nanodet/detect', {
          headers: {
            ...authHeaders(wrongSecretFor(keyIdOf(TEST_API_KEY))),
            'content-type': 'image/jpeg',
          },
          body: jpeg,
        }),
      ),
      loop('images costlier than their pixels (1 × 39,999,999; 16-bit interlaced 6300²)', 200, () =>
        post('/v1/models/nanodet/detect', {
          headers: { ...authHeaders(), 'content-type': 'image/png' },
          body: costlyImages[Math.floor(Math.random() * costlyImages.length)],
        }),
      ),
      ...Array.from({ length: 3 }, () =>
        loop('uploads that stop half-way', 100, async () => {
          const connection = await openRaw(
            gateway.httpUrl,
            requestHead('POST', '/v1/models/nanodet/detect', [
              ['x-api-key', TEST_API_KEY],
              ['content-type', 'image/jpeg'],
              ['content-length', String(60 * MIB)],
            ]),
          );
          await writeBody(connection.socket, 8 * MIB);
          const answer = await connection.answer;
          connection.socket.destroy();
          return answer?.status ?? 'closed without an answer';
        }),
      ),
      loop('gRPC: anonymous 8 MiB messages', 200, async () => {
        const session = rawSession(gateway.grpcAddress);
        await session.ready;
        const call = rawCall(session.session, MODEL_INFER);
        await pushBytes(call.stream, 8 * MIB, 2000);
        const outcome = await call.closed;
        session.session.destroy();
        return outcome.status ?? 'no status';
      }),
      loop('gRPC: half-sent messages', 200, async () => {
        const session = rawSession(gateway.grpcAddress);
        await session.ready;
        const call = rawCall(session.session, MODEL_INFER, { 'x-api-key': TEST_API_KEY });
        call.stream.write(inferFrame.subarray(0, inferFrame.length >> 1));
        const outcome = await call.closed;
        session.session.destroy();
        return outcome.status ?? 'no status';
      }),
      (async () => {
        // One ModelStreamInfer stream for the whole soak that sends and never reads.
        const session = rawSession(gateway.grpcAddress);
        await session.ready;
        const unread = rawCall(session.session, MODEL_STREAM_INFER, { 'x-api-key': TEST_API_KEY });
        unread.stream.pause();
        while (running() && !unread.stream.destroyed) {
          if (unread.stream.writableLength < 4 * inferFrame.length) unread.stream.write(inferFrame);
          await sleep(50);
        }
        session.session.destroy();
        count(tally('gRPC: a stream that never reads'), 'ran');
      })(),
    ];

    await Promise.all([...normal, ...attackers]);
    const inside = gateway.alive() ? await gateway.inside() : undefined;
    const rssPeak = gateway.alive() ? memory(gateway.pid).peakRssMiB : Infinity;
    await sleep(8000);
    const rssAfter = gateway.alive() ? memory(gateway.pid).rssMiB : Infinity;

    const report = {
      normal: {
        calls: normalLatencies.length,
        statuses: normalStatuses,
        p99Ms: Math.round(p99(normalLatencies)),
      },
      hostile,
      eventLoopMs: inside && {
        blockedAtMost: Math.round(inside.eventLoopBlockMaxMs),
        stalledAtMost: Math.round(inside.eventLoopMaxMs),
      },
      rssMiB: {
        before: Math.round(rssBefore),
        peak: Math.round(rssPeak),
        after: Math.round(rssAfter),
      },
    };
    console.log(`soak: ${JSON.stringify(report, null, 1)}`);

    expect(gateway.alive()).toBe(true);
    // The bound on any input: the event loop never blocked for more than 100 ms.
    expect(inside?.eventLoopBlockMaxMs).toBeLessThanOrEqual(100);
    expect(Object.keys(normalStatuses)).toEqual(['200']);
    expect(normalLatencies.length).toBeGreaterThan(SOAK_MS / 1000);
    expect(p99(normalLatencies)).toBeLessThan(NORMAL_P99_BOUND_MS);
    expect(rssPeak - rssBefore).toBeLessThan(RSS_PEAK_GROWTH_BOUND_MIB);
    expect(rssAfter - rssBefore).toBeLessThan(RSS_AFTER_GROWTH_BOUND_MIB);
    // Every hostile call got its typed refusal (gRPC statuses: 4 DEADLINE_EXCEEDED, 16 UNAUTHENTICATED).
    const allowed: Record<string, (string | number)[]> = {
      'tensor bombs (gzip BYTES, JSON and binary)': [400],
      'output requested 150 times': [400],
      'anonymous, invented model names': [401],
      'wrong secrets for a known key id': [401, 429],
      'images costlier than their pixels (1 × 39,999,999; 16-bit interlaced 6300²)': [413],
      'uploads that stop half-way': [408, 503],
      'gRPC: anonymous 8 MiB messages': [16],
      'gRPC: half-sent messages': [4],
      'gRPC: a stream that never reads': ['ran'],
    };
    for (const [pattern, outcomes] of Object.entries(hostile)) {
      expect({
        pattern,
        outcomes: Object.keys(outcomes).filter((o) => !allowed[pattern].map(String).includes(o)),
      }).toEqual({
        pattern,
        outcomes: [],
      });
    }
  });
});

async function detect(
  gateway: MeteredGateway,
  image: Buffer,
  contentType: string,
): Promise<number> {
  const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': contentType },
    body: image,
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  return response.status;
}
