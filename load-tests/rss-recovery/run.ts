/**
 * RSS after bursts (issue 10, finding 10): does the gateway give memory back once a burst is over?
 * Each variant is a fresh gateway started as production starts it (load-tests/lib/production-
 * gateway.ts) with one lever changed; each gets the same bursts of detect calls and KServe infers,
 * then idles while its RSS is read from /proc. Writes load-tests/results/rss-recovery.{json,md}.
 *
 *   node -r @swc-node/register load-tests/rss-recovery/run.ts
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { benchAuthHeaders } from '../lib/bench-credentials';
import { machineInfo } from '../lib/machine-info';
import { GATEWAY_PROCESS_ENV } from '../lib/gateway-node-flags';
import { startProductionGateway, type ProductionGateway } from '../lib/production-gateway';
import { cpuSeconds, memory, readSampleMedia, resetPeakRss } from '@test-support';
import { RESULTS_DIR } from '../detect-overhead/settings';
import { setTimeout as sleep } from 'node:timers/promises';

const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
/** How long each variant idles after a burst, and how often RSS is read meanwhile. */
const IDLE_MS = Number(process.env.RSS_IDLE_MS ?? 40_000);
const READ_EVERY_MS = 5000;
const DETECTS = Number(process.env.RSS_DETECTS ?? 120);
const INFERS = Number(process.env.RSS_INFERS ?? 24);

interface Variant {
  name: string;
  what: string;
  processEnv: Record<string, string>;
  env?: Record<string, string>;
}

const VARIANTS: Variant[] = [
  {
    name: 'shipped',
    what: `fixed mmap threshold (${JSON.stringify(GATEWAY_PROCESS_ENV)}) + idle reclaim`,
    processEnv: { ...GATEWAY_PROCESS_ENV },
  },
  {
    name: 'no-idle-reclaim',
    what: 'fixed mmap threshold, GATEWAY_IDLE_RECLAIM_MS=0',
    processEnv: { ...GATEWAY_PROCESS_ENV },
    env: { GATEWAY_IDLE_RECLAIM_MS: '0' },
  },
  {
    name: 'glibc-defaults',
    what: 'glibc defaults (dynamic mmap threshold) + idle reclaim',
    processEnv: {},
  },
  {
    name: 'before',
    what: 'glibc defaults, GATEWAY_IDLE_RECLAIM_MS=0 (the gateway before this change)',
    processEnv: {},
    env: { GATEWAY_IDLE_RECLAIM_MS: '0' },
  },
  {
    name: 'mmap-1MiB',
    what: 'MALLOC_MMAP_THRESHOLD_=1048576 + idle reclaim',
    processEnv: { MALLOC_MMAP_THRESHOLD_: '1048576' },
  },
  {
    name: 'arena-max-2',
    what: 'fixed mmap threshold + MALLOC_ARENA_MAX=2 + idle reclaim',
    processEnv: { ...GATEWAY_PROCESS_ENV, MALLOC_ARENA_MAX: '2' },
  },
  ...(existsSync(JEMALLOC)
    ? [
        {
          name: 'jemalloc',
          what: `LD_PRELOAD=${JEMALLOC} (no glibc settings) + idle reclaim`,
          processEnv: { LD_PRELOAD: JEMALLOC },
        },
      ]
    : []),
];

interface Image {
  bytes: Buffer;
  type: string;
}

/** Camera-like frames: 1080p and 4K JPEG, 4K PNG, a photo and a video frame. */
async function cameraImages(): Promise<Image[]> {
  const file = readSampleMedia;
  const scaled = (name: string, width: number, height: number) =>
    sharp(file(name)).resize(width, height, { fit: 'fill' });
  return [
    { bytes: file('messi5.jpg'), type: 'image/jpeg' },
    { bytes: file('vtest-frames/frame-04.png'), type: 'image/png' },
    {
      bytes: await scaled('building.jpg', 1920, 1080).jpeg({ quality: 90 }).toBuffer(),
      type: 'image/jpeg',
    },
    {
      bytes: await scaled('fruits.jpg', 3840, 2160).jpeg({ quality: 90 }).toBuffer(),
      type: 'image/jpeg',
    },
    {
      bytes: await scaled('home.jpg', 3840, 2160).png({ compressionLevel: 1 }).toBuffer(),
      type: 'image/png',
    },
  ];
}

/** A KServe binary-extension request: nanodet, a batch of 8 (16.6 MB of FP32). */
function inferBody(): { body: Buffer; headers: Record<string, string> } {
  const input = new Float32Array(8 * 3 * 416 * 416).fill(0.5);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'images',
          datatype: 'FP32',
          shape: [8, 3, 416, 416],
          parameters: { binary_data_size: input.byteLength },
        },
      ],
    }),
  );
  return {
    body: Buffer.concat([header, Buffer.from(input.buffer)]),
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.byteLength),
    },
  };
}

async function closedLoop(
  count: number,
  concurrency: number,
  send: (index: number) => Promise<number>,
) {
  let next = 0;
  const statuses: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const status = await send(next++).catch(() => 0);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}

interface BurstResult {
  statuses: Record<string, number>;
  cpuMsPerRequest: number;
  rssBeforeMiB: number;
  peakMiB: number;
  /** RSS read every READ_EVERY_MS while idle after the burst. */
  idleMiB: number[];
}

async function burst(
  gateway: ProductionGateway,
  count: number,
  concurrency: number,
  send: (index: number) => Promise<number>,
): Promise<BurstResult> {
  resetPeakRss(gateway.pid);
  const rssBeforeMiB = memory(gateway.pid).rssMiB;
  const cpuBefore = cpuSeconds(gateway.pid);
  const statuses = await closedLoop(count, concurrency, send);
  const cpuMsPerRequest = ((cpuSeconds(gateway.pid) - cpuBefore) * 1000) / count;
  const peakMiB = memory(gateway.pid).peakRssMiB;
  const idleMiB: number[] = [];
  for (let waited = 0; waited < IDLE_MS; waited += READ_EVERY_MS) {
    await sleep(READ_EVERY_MS);
    idleMiB.push(memory(gateway.pid).rssMiB);
  }
  return { statuses, cpuMsPerRequest, rssBeforeMiB, peakMiB, idleMiB };
}

async function measure(variant: Variant, images: Image[]) {
  const gateway = await startProductionGateway({
    processEnv: variant.processEnv,
    env: variant.env,
  });
  const startupMiB = memory(gateway.pid).rssMiB;
  try {
    const post = (path: string, body: Buffer, headers: Record<string, string>) =>
      fetch(`${gateway.httpUrl}${path}`, {
        method: 'POST',
        headers: { ...benchAuthHeaders(), ...headers },
        body,
      }).then(async (response) => {
        await response.arrayBuffer();
        return response.status;
      });
    const detect = (index: number) => {
      const image = images[index % images.length];
      return post('/v1/models/nanodet/detect', image.bytes, { 'content-type': image.type });
    };
    const infer = inferBody();
    const kserve = () => post('/v2/models/nanodet/infer', infer.body, infer.headers);
    // Warm: every code path once, ONNX Runtime's arena at its batch-of-8 size.
    await closedLoop(16, 8, detect);
    await closedLoop(4, 4, kserve);
    // Two and a half of the idle reclaimer's looks (GATEWAY_IDLE_RECLAIM_MS, 10 s by default).
    await sleep(25_000);
    const warmMiB = memory(gateway.pid).rssMiB;
    const detects = await burst(gateway, DETECTS, 8, detect);
    const infers = await burst(gateway, INFERS, 4, kserve);
    return { variant: variant.name, what: variant.what, startupMiB, warmMiB, detects, infers };
  } finally {
    await gateway.stop();
  }
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const images = await cameraImages();
  const machine = machineInfo();
  const results = [];
  for (const variant of VARIANTS.filter((v) => only.length === 0 || only.includes(v.name))) {
    const result = await measure(variant, images);
    console.log(JSON.stringify(result));
    results.push(result);
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    resolve(RESULTS_DIR, 'rss-recovery.json'),
    `${JSON.stringify({ machine, idleMs: IDLE_MS, detects: DETECTS, infers: INFERS, results }, null, 2)}\n`,
  );
  writeFileSync(resolve(RESULTS_DIR, 'rss-recovery.md'), report(results, machine));
}

function report(
  results: Awaited<ReturnType<typeof measure>>[],
  machine: ReturnType<typeof machineInfo>,
): string {
  const mib = (value: number) => value.toFixed(0);
  const rows = results.map((r) =>
    [
      r.variant,
      `${mib(r.startupMiB)} / ${mib(r.warmMiB)}`,
      `${mib(r.detects.peakMiB)} / ${mib(r.detects.idleMiB[0])} / ${mib(r.detects.idleMiB.at(-1) ?? 0)}`,
      `${mib(r.infers.peakMiB)} / ${mib(r.infers.idleMiB[0])} / ${mib(r.infers.idleMiB.at(-1) ?? 0)}`,
      r.detects.cpuMsPerRequest.toFixed(1),
      r.infers.cpuMsPerRequest.toFixed(1),
    ].join(' | '),
  );
  return [
    '# RSS after bursts',
    '',
    `${machine.cpuModel}, ${machine.cores} cores, load average at start ${machine.loadAverageAtStart.join(' / ')}, ` +
      `node ${machine.node}, commit ${machine.gitCommit.slice(0, 10)}${machine.gitDirty ? ' (dirty)' : ''}, ${machine.date}.`,
    '',
    `RSS in MiB of a gateway started as production starts it: once it serves (start-up), after a warm-up ` +
      `of 16 detects and 4 infers and 25 s idle (warm). Then ${DETECTS} detects (camera ` +
      `frames, 8 at a time), then ${INFERS} KServe infers (batch 8, 16.6 MB each, 4 at a time); after each ` +
      `burst it idles ${IDLE_MS / 1000} s. Columns: peak during the burst / ${READ_EVERY_MS / 1000} s after it / ` +
      `${IDLE_MS / 1000} s after it. CPU ms per request: the gateway process, all threads.`,
    '',
    '| variant | start-up / warm | detects: peak / +5 s / end | infers: peak / +5 s / end | CPU ms per detect | CPU ms per infer |',
    '|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
    '',
    ...results.map((r) => `- \`${r.variant}\`: ${r.what}`),
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
