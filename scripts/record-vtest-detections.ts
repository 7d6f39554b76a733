/**
 * Records the project's real detector on every frame of vtest.avi into a fixture that tracking,
 * forecasting and the stream benchmark share: libs/vision-tracking/test-reference/vtest-detections.json.
 * Starts a real gateway in-process and calls its REST detect API, person class only, with a low
 * score threshold (0.1) so that ByteTrack gets its low-score set.
 *   node -r @swc-node/register scripts/record-vtest-detections.ts
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { generateApiKey } from '@auth';
import { loadGatewayConfig } from '../gateway/src/config/gateway-config';
import { startGateway } from '../gateway/src/gateway-app';
import type { DetectResult } from '../gateway/src/vision/detect-types';

const root = resolve(__dirname, '..');
const video = resolve(root, '.cache/sample-media/vtest.avi');
const modelFile = resolve(root, 'triton-models/nanodet/1/model.onnx');
const out = resolve(root, 'libs/vision-tracking/test-reference/vtest-detections.json');
const DETECT_QUERY = 'classes=person&scoreThreshold=0.1&maxDetections=100';
/** The fixture is committed: a size check keeps it reviewable. */
const MAX_FIXTURE_BYTES = 1_000_000;

/** One frame's boxes: [x1, y1, x2, y2, score], pixels of the 768×576 source. */
type RecordedBox = [number, number, number, number, number];

/** Through decimal text, so binary noise (0.30000000000000004) stays out of the JSON. */
const roundTo = (value: number, decimals: number): number => Number(value.toFixed(decimals));

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Frame rate from ffprobe ("10/1"), so the fixture states the clock the tracker should use. */
function probeFps(): number {
  const probe = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=r_frame_rate',
      '-of',
      'csv=p=0',
      video,
    ],
    { encoding: 'utf8' },
  );
  if (probe.status !== 0)
    throw new Error(`ffprobe failed: ${probe.stderr || probe.error?.message}`);
  const [num, den] = probe.stdout.trim().split('/').map(Number);
  return num / den;
}

/** Every frame as PNG (lossless, so the detector sees exactly the decoded video). */
function extractFrames(dir: string): string[] {
  const run = spawnSync(
    'ffmpeg',
    ['-loglevel', 'error', '-i', video, '-vsync', '0', join(dir, 'f%05d.png')],
    {
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`ffmpeg failed: ${run.stderr || run.error?.message}`);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.png'))
    .sort()
    .map((name) => join(dir, name));
}

async function main(): Promise<void> {
  statSync(video); // fails with the path when scripts/fetch-sample-media.sh has not run
  const fps = probeFps();
  const framesDir = mkdtempSync(join(tmpdir(), 'vtest-frames-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'record-vtest-'));
  const { key } = generateApiKey();
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
  const frames: { frame: number; boxes: RecordedBox[] }[] = [];
  let version = '';
  try {
    const files = extractFrames(framesDir);
    for (const [index, file] of files.entries()) {
      const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect?${DETECT_QUERY}`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'image/png' },
        body: readFileSync(file),
      });
      if (!response.ok)
        throw new Error(`frame ${index}: HTTP ${response.status} ${await response.text()}`);
      const result = (await response.json()) as DetectResult;
      version = result.version;
      frames.push({
        frame: index,
        boxes: result.detections.map(({ box, score }) => [
          roundTo(box[0], 1),
          roundTo(box[1], 1),
          roundTo(box[2], 1),
          roundTo(box[3], 1),
          roundTo(score, 4),
        ]),
      });
      if (index % 100 === 0)
        console.log(`frame ${index}/${files.length}: ${result.detections.length} boxes`);
    }
  } finally {
    await gateway.close();
    rmSync(framesDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }

  const fixture = {
    source:
      'vtest.avi from Debian opencv-doc (usr/share/doc/opencv-doc/examples/data), every frame',
    sourceSha256: sha256(video),
    width: 768,
    height: 576,
    fps,
    model: 'nanodet',
    modelVersion: version,
    modelSha256: sha256(modelFile),
    detect: { classes: ['person'], scoreThreshold: 0.1, maxDetections: 100 },
    rounding: 'boxes to 0.1 px, scores to 1e-4',
    generatedBy: 'node -r @swc-node/register scripts/record-vtest-detections.ts',
    frames,
  };
  // One frame per line: small diffs when the detector changes, and compact. Prettier would put
  // every box on its own indented line, past 1 MB, so the fixture is kept out of prettier.
  const text = `{\n${Object.entries(fixture)
    .filter(([name]) => name !== 'frames')
    .map(([name, value]) => `  ${JSON.stringify(name)}: ${JSON.stringify(value)},`)
    .join(
      '\n',
    )}\n  "frames": [\n${frames.map((frame) => `    ${JSON.stringify(frame)}`).join(',\n')}\n  ]\n}\n`;
  if (text.length > MAX_FIXTURE_BYTES) {
    throw new Error(`fixture is ${text.length} bytes, over the ${MAX_FIXTURE_BYTES} limit`);
  }
  writeFileSync(out, text);
  const boxes = frames.reduce((sum, frame) => sum + frame.boxes.length, 0);
  console.log(
    `${relative(root, out)}: ${frames.length} frames, ${boxes} boxes, ${text.length} bytes`,
  );
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
