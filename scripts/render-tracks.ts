/**
 * Draws what a camera stream answers on vtest.avi, for docs/streams.md: 60 frames (6 s) streamed
 * through a real in-process gateway's StreamTrack at 10 FPS of capture time; on the last frame each
 * track's path (its foot points over the frames), its box with track and global id, and its
 * forecast foot points at 0.5, 1 and 2 s. Writes docs/images/streams/vtest-tracks.jpg.
 *   node -r @swc-node/register scripts/render-tracks.ts
 */
import { create } from '@bufbuild/protobuf';
import { credentials, makeGenericClientConstructor, type ClientDuplexStream } from '@grpc/grpc-js';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { generateApiKey } from '@auth';
import {
  FrameSchema,
  StreamService,
  type Frame,
  type FrameResult,
} from '@contracts/generated/vision/v1/streams_pb';
import { clientDefinition } from '@contracts/grpc/service-definition';
import { apiKeyInterceptor, extractVideoFrames } from '@test-support';
import { loadGatewayConfig } from '../gateway/src/config/gateway-config';
import { startGateway } from '../gateway/src/gateway-app';

const out = resolve(__dirname, '../docs/images/streams');
const FRAMES = 60;
const START = 200;
const COLORS = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#bfef45',
  '#469990',
  '#9a6324',
];

async function streamFrames(grpcAddress: string, key: string): Promise<FrameResult[]> {
  const Client = makeGenericClientConstructor(clientDefinition(StreamService), 'StreamService');
  const client = new Client(grpcAddress, credentials.createInsecure(), {
    interceptors: [apiKeyInterceptor(key)],
  });
  const stream = (
    client as unknown as { streamTrack(): ClientDuplexStream<Frame, FrameResult> }
  ).streamTrack();
  const results: FrameResult[] = [];
  stream.on('data', (result: FrameResult) => results.push(result));
  const closed = new Promise<void>((done, fail) => {
    stream.on('end', done);
    stream.on('error', fail);
  });
  const frames = extractVideoFrames('vtest.avi', { start: START, count: FRAMES });
  const epoch = Date.now();
  frames.forEach((image, index) =>
    stream.write(
      create(FrameSchema, {
        // BLOCK: every frame served, so the picture does not depend on this machine's speed.
        config:
          index === 0
            ? {
                model: 'nanodet',
                policy: 3,
                frameDeadlineMs: 60_000,
                options: { classes: ['person'] },
              }
            : undefined,
        cameraId: 'vtest',
        seq: BigInt(index + 1),
        captureTimeMs: BigInt(epoch + index * 100),
        image,
      }),
    ),
  );
  stream.end();
  await closed;
  client.close();
  return results.filter((result) => result.cameraId && !result.error);
}

function overlay(results: FrameResult[], width: number, height: number): Buffer {
  const last = results[results.length - 1];
  const paths = new Map<bigint, string[]>();
  for (const result of results) {
    for (const object of result.objects) {
      const { x1, x2, y2 } = object.box!;
      const points = paths.get(object.trackId) ?? [];
      points.push(`${((x1 + x2) / 2).toFixed(1)},${y2.toFixed(1)}`);
      paths.set(object.trackId, points);
    }
  }
  const shapes = last.objects.map((object) => {
    const color = COLORS[Number(object.trackId) % COLORS.length];
    const { x1, y1, x2, y2 } = object.box!;
    const foot = `${((x1 + x2) / 2).toFixed(1)},${y2.toFixed(1)}`;
    const label = `#${object.trackId} g${object.globalId}`;
    const forecast = object.forecast
      .map(
        (point) =>
          `<circle cx="${point.x}" cy="${point.y}" r="3.5" fill="${color}" stroke="white" stroke-width="1"/>`,
      )
      .join('');
    const ahead = object.forecast.length
      ? `<polyline points="${[foot, ...object.forecast.map((p) => `${p.x},${p.y}`)].join(' ')}" fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="5 4"/>`
      : '';
    return `<g><polyline points="${(paths.get(object.trackId) ?? []).join(' ')}" fill="none" stroke="${color}" stroke-width="2.5" opacity="0.8"/>
${ahead}${forecast}
<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${color}" stroke-width="2"/>
<rect x="${x1}" y="${y1 - 15}" width="${label.length * 7 + 4}" height="15" fill="${color}" opacity="0.85"/>
<text x="${x1 + 2}" y="${y1 - 3}" font-family="DejaVu Sans, sans-serif" font-size="12" fill="white">${label}</text></g>`;
  });
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`,
  );
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const { key } = generateApiKey();
  const dataDir = mkdtempSync(join(tmpdir(), 'render-tracks-'));
  const gateway = await startGateway(
    loadGatewayConfig({
      ...process.env,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_HTTP_PORT: '0',
      GATEWAY_GRPC_PORT: '0',
      LOG_LEVEL: 'warn',
      GATEWAY_BOOTSTRAP_API_KEY: key,
      GATEWAY_DATA_DIR: dataDir,
    }),
  );
  try {
    const results = await streamFrames(gateway.grpcAddress, key);
    const [lastFrame] = extractVideoFrames('vtest.avi', {
      start: START + FRAMES - 1,
      count: 1,
      quality: 2,
    });
    const { width = 0, height = 0 } = await sharp(lastFrame).metadata();
    await sharp(lastFrame)
      .composite([{ input: overlay(results, width, height), top: 0, left: 0 }])
      .jpeg({ quality: 88 })
      .toFile(resolve(out, 'vtest-tracks.jpg'));
    const last = results[results.length - 1];
    console.log(
      `${results.length} frames served; last frame: ${last.objects.length} people, tracks ${last.objects.map((o) => `#${o.trackId}/g${o.globalId}`).join(' ')}`,
    );
  } finally {
    await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
