/**
 * Shadow copies through the real gateway (embedded backend, NanoDet in two versions, a routing
 * table from GATEWAY_ROUTING_FILE): a 100% shadow changes no answer, its answers are compared
 * with the primary's, and under a burst the copies beyond their budget are dropped while every
 * primary call is answered.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scrapeMetric } from './prometheus-text';
import {
  authHeaders,
  MODEL_REPOSITORY,
  sampleImage,
  startTestGateway,
  type TestGateway,
} from './test-gateway';

const IMAGES = ['vtest-frames/frame-02.png', 'messi5.jpg', 'basketball2.png'];
const PAIR = { model: 'nanodet', primary_version: '1', shadow_version: '2' };

async function detect(gateway: TestGateway, image: string, version = '') {
  const path = version === '' ? '' : `/versions/${version}`;
  const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet${path}/detect`, {
    method: 'POST',
    headers: {
      ...authHeaders(),
      'content-type': image.endsWith('.jpg') ? 'image/jpeg' : 'image/png',
    },
    body: sampleImage(image),
  });
  const body = (await response.json()) as { version: string; detections: unknown[] };
  return { status: response.status, ...body };
}

async function shadowCalls(gateway: TestGateway, outcome: string): Promise<number> {
  return scrapeMetric(gateway, 'gateway_shadow_calls_total', { ...PAIR, outcome });
}

/** Polls until the copies started so far have all finished (compared, failed or dropped). */
async function settled(gateway: TestGateway, copies: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    let total = 0;
    for (const outcome of ['compared', 'error', 'dropped'])
      total += await shadowCalls(gateway, outcome);
    if (total >= copies) return;
    if (Date.now() > deadline) throw new Error(`${total} of ${copies} copies settled in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('shadow copies (real gateway, NanoDet 1 shadowed by 2 at 100%)', () => {
  let dir: string;
  let gateway: TestGateway;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shadow-copies-'));
    const repository = join(dir, 'models');
    await cp(join(MODEL_REPOSITORY, 'nanodet'), join(repository, 'nanodet'), { recursive: true });
    await cp(join(repository, 'nanodet/1'), join(repository, 'nanodet/2'), { recursive: true });
    const config = join(repository, 'nanodet/config.pbtxt');
    const text = await readFile(config, 'utf8');
    await writeFile(config, text.replace(/version_policy:[^\n]*/, 'version_policy: { all: {} }'));
    const routes = join(dir, 'routes.json');
    await writeFile(
      routes,
      JSON.stringify({
        revision: '1',
        routes: [
          { model: 'nanodet', stableVersion: '1', shadows: [{ version: '2', samplePercent: 100 }] },
        ],
      }),
    );
    gateway = await startTestGateway({
      MODEL_REPOSITORY: repository,
      GATEWAY_ROUTING_FILE: routes,
      GATEWAY_SHADOW_MAX_IN_FLIGHT: '1',
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers every call from stable, unchanged, and compares each copy with it', async () => {
    for (const image of IMAGES) {
      const pinned = await detect(gateway, image, '1');
      const routed = await detect(gateway, image);
      expect(routed.status).toBe(200);
      expect(routed.version).toBe('1');
      expect(routed.detections).toEqual(pinned.detections);
      expect(routed.detections.length).toBeGreaterThan(0);
    }
    // One at a time: no copy meets a spent budget or a queue, so each is compared.
    await settled(gateway, IMAGES.length);
    expect(await shadowCalls(gateway, 'compared')).toBe(IMAGES.length);
    // The same model answers the same image alike: every detection matched.
    const side = (name: string) =>
      scrapeMetric(gateway, 'gateway_shadow_detections_total', { ...PAIR, side: name });
    expect(await side('matched')).toBe(await side('primary'));
    expect(await side('shadow')).toBe(await side('primary'));
  }, 60_000);

  it('drops the copies beyond their budget in a burst, and answers every primary call', async () => {
    const before = await Promise.all(
      ['compared', 'error', 'dropped'].map((o) => shadowCalls(gateway, o)),
    );
    const burst = 12;
    const answers = await Promise.all(
      Array.from({ length: burst }, (_, index) => detect(gateway, IMAGES[index % IMAGES.length])),
    );
    expect(answers.map(({ status }) => status)).toEqual(Array(burst).fill(200));
    await settled(gateway, before.reduce((a, b) => a + b) + burst);
    const dropped = (await shadowCalls(gateway, 'dropped')) - before[2];
    const compared = (await shadowCalls(gateway, 'compared')) - before[0];
    expect(dropped).toBeGreaterThan(0);
    expect(compared + dropped).toBe(burst);
  }, 60_000);
});
