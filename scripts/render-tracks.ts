/**
 * Draws what camera streams answer on vtest.avi, for docs/streams.md, through a real in-process
 * gateway's StreamTrack (60 frames = 6 s of capture time per stream):
 * - docs/images/streams/vtest-tracks.jpg: on the last frame, each track's path (its foot points over
 *   the frames), its box with track and global id, and its forecast foot points at 0.5, 1 and 2 s;
 * - docs/images/streams/split-cameras.jpg: the left (x 0..480) and right (x 288..768) crops of the
 *   clip as two cameras of one tenant streamed at the same time, side by side on their last frame:
 *   a person in the overlap should carry the same global id in both.
 *   node -r @swc-node/register scripts/render-tracks.ts
 */
import { withOneOffGateway } from './one-off-gateway';
import { create } from '@bufbuild/protobuf';
import { credentials, makeGenericClientConstructor, type ClientDuplexStream } from '@grpc/grpc-js';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import {
  BackpressurePolicy,
  FrameSchema,
  StreamService,
  type Frame,
  type FrameResult,
  type TrackedObject,
} from '@contracts/generated/vision/v1/streams_pb';
import { clientDefinition } from '@contracts/grpc/service-definition';
import { apiKeyInterceptor, extractVideoFrames } from '@test-support';

const out = resolve(__dirname, '../docs/images/streams');
const FRAMES = 60;
const START = 200;
const FRAME_MS = 100;
/** The two "cameras" of the split picture: ffmpeg crops (w:h:x:y) of the 768×576 clip. */
const CAMERAS = [
  { id: 'left', crop: '480:576:0:0', caption: 'camera "left": x 0–480' },
  { id: 'right', crop: '480:576:288:0', caption: 'camera "right": x 288–768' },
];
const PANEL = { width: 480, height: 576 };
const GAP = 8;
const CAPTION = 22;
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
  '#800000',
  '#000075',
];

/**
 * One camera's frames through StreamTrack, all sent at once with BLOCK (every frame served, so the
 * picture does not depend on this machine's speed) and capture times from `epoch` at 10 FPS.
 */
async function streamFrames(
  grpcAddress: string,
  key: string,
  cameraId: string,
  frames: readonly Buffer[],
  epoch: number,
): Promise<FrameResult[]> {
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
  frames.forEach((image, index) =>
    stream.write(
      create(FrameSchema, {
        config:
          index === 0
            ? {
                model: 'nanodet',
                policy: BackpressurePolicy.BLOCK,
                frameDeadlineMs: 60_000,
                options: { classes: ['person'] },
              }
            : undefined,
        cameraId,
        seq: BigInt(index + 1),
        captureTimeMs: BigInt(epoch + index * FRAME_MS),
        image,
      }),
    ),
  );
  stream.end();
  await closed;
  client.close();
  return results.filter((result) => result.cameraId && !result.error);
}

const foot = (object: TrackedObject): string => {
  const { x1, x2, y2 } = object.box!;
  return `${((x1 + x2) / 2).toFixed(1)},${y2.toFixed(1)}`;
};

function boxWithLabel(object: TrackedObject, color: string): string {
  const { x1, y1, x2, y2 } = object.box!;
  const label = `#${object.trackId} / g${object.globalId > 0n ? object.globalId : '?'}`;
  // Above the box, or inside it when the box touches the top edge.
  const top = y1 >= 15 ? y1 - 15 : y1;
  return `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${color}" stroke-width="2"/>
<rect x="${x1}" y="${top}" width="${label.length * 7 + 4}" height="15" fill="${color}" opacity="0.85"/>
<text x="${x1 + 2}" y="${top + 12}" font-family="DejaVu Sans, sans-serif" font-size="12" fill="white">${label}</text>`;
}

function tracksOverlay(results: readonly FrameResult[], width: number, height: number): string {
  const last = results[results.length - 1];
  const paths = new Map<bigint, string[]>();
  for (const result of results) {
    for (const object of result.objects) {
      paths.set(object.trackId, [...(paths.get(object.trackId) ?? []), foot(object)]);
    }
  }
  // Colours by position in the last frame, so no two tracks drawn share one.
  const shapes = last.objects.map((object, index) => {
    const color = COLORS[index % COLORS.length];
    const ahead = object.forecast.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`);
    const dots = ahead.map((point) => {
      const [cx, cy] = point.split(',');
      return `<circle cx="${cx}" cy="${cy}" r="3.5" fill="${color}" stroke="white" stroke-width="1"/>`;
    });
    return `<g><polyline points="${(paths.get(object.trackId) ?? []).join(' ')}" fill="none" stroke="${color}" stroke-width="2.5" opacity="0.8"/>
${ahead.length ? `<polyline points="${[foot(object), ...ahead].join(' ')}" fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="5 4"/>` : ''}
${dots.join('')}${boxWithLabel(object, color)}</g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
}

async function renderTracks(grpcAddress: string, key: string): Promise<void> {
  const frames = extractVideoFrames('vtest.avi', { start: START, count: FRAMES });
  const results = await streamFrames(grpcAddress, key, 'vtest', frames, Date.now());
  const [lastFrame] = extractVideoFrames('vtest.avi', {
    start: START + FRAMES - 1,
    count: 1,
    quality: 2,
  });
  const { width = 0, height = 0 } = await sharp(lastFrame).metadata();
  await sharp(lastFrame)
    .composite([{ input: Buffer.from(tracksOverlay(results, width, height)), top: 0, left: 0 }])
    .jpeg({ quality: 88 })
    .toFile(resolve(out, 'vtest-tracks.jpg'));
  const last = results[results.length - 1];
  console.log(
    `vtest-tracks.jpg: ${results.length} frames served; last frame: ${last.objects.map((o) => `#${o.trackId}/g${o.globalId}`).join(' ')}`,
  );
}

/** One camera's last frame with its boxes, coloured by global id (`globals` fixes the order). */
async function splitPanel(
  crop: string,
  last: FrameResult,
  globals: readonly bigint[],
): Promise<Buffer> {
  const [frame] = extractVideoFrames('vtest.avi', {
    start: START + FRAMES - 1,
    count: 1,
    crop,
    quality: 2,
  });
  const boxes = last.objects.map((o) =>
    boxWithLabel(o, COLORS[globals.indexOf(o.globalId) % COLORS.length]),
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${PANEL.width}" height="${PANEL.height}">${boxes.join('')}</svg>`;
  return sharp(frame)
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .toBuffer();
}

/** Both cameras at once, of one tenant (one key): re-identification may link them. */
async function renderSplit(grpcAddress: string, key: string): Promise<void> {
  const epoch = Date.now();
  const answers = await Promise.all(
    CAMERAS.map(({ id, crop }) =>
      streamFrames(
        grpcAddress,
        key,
        id,
        extractVideoFrames('vtest.avi', { start: START, count: FRAMES, crop }),
        epoch,
      ),
    ),
  );
  const lasts = answers.map((results) => results[results.length - 1]);
  // The same identity gets the same colour in both pictures.
  const globals = [...new Set(lasts.flatMap((last) => last.objects.map((o) => o.globalId)))];
  const panels = await Promise.all(
    CAMERAS.map(({ crop }, index) => splitPanel(crop, lasts[index], globals)),
  );
  const width = 2 * PANEL.width + GAP;
  const captions = CAMERAS.map(
    ({ caption }, index) =>
      `<text x="${index * (PANEL.width + GAP) + 6}" y="16" font-family="DejaVu Sans, sans-serif" font-size="13" fill="black">${caption}</text>`,
  );
  await sharp({
    create: { width, height: PANEL.height + CAPTION, channels: 3, background: '#ffffff' },
  })
    .composite([
      {
        input: Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${CAPTION}">${captions.join('')}</svg>`,
        ),
        top: 0,
        left: 0,
      },
      ...panels.map((input, index) => ({ input, top: CAPTION, left: index * (PANEL.width + GAP) })),
    ])
    .jpeg({ quality: 88 })
    .toFile(resolve(out, 'split-cameras.jpg'));
  for (const [index, { id }] of CAMERAS.entries()) {
    console.log(`split-cameras.jpg ${id}: ${trackBirths(answers[index])}`);
  }
}

/** Where each track was first seen and the global id it got (ids are given when a track starts). */
function trackBirths(results: readonly FrameResult[]): string {
  const births = new Map<bigint, { frame: number; x: string; globalId: bigint }>();
  results.forEach((result, frame) => {
    for (const o of result.objects) {
      const birth = births.get(o.trackId) ?? {
        frame,
        x: `${Math.round(o.box!.x1)}–${Math.round(o.box!.x2)}`,
        globalId: 0n,
      };
      if (birth.globalId === 0n) birth.globalId = o.globalId;
      births.set(o.trackId, birth);
    }
  });
  return [...births]
    .map(([id, b]) => `#${id}/g${b.globalId} from frame ${b.frame} at x ${b.x}`)
    .join('; ');
}

/**
 * A fresh gateway per picture with a one-off admin key and key store: the split picture's global
 * ids must come from its two cameras alone, not from identities the first picture left behind.
 */
async function withGateway(
  render: (grpcAddress: string, key: string) => Promise<void>,
): Promise<void> {
  await withOneOffGateway((gateway, key) => render(gateway.grpcAddress, key));
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  await withGateway(renderTracks);
  await withGateway(renderSplit);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
