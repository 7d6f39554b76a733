/**
 * Renders the gateway's detections on the sample images into docs/images/detections/, so readers
 * can see what the detector does. Starts a real gateway in-process and calls its REST detect API.
 *   node -r @swc-node/register scripts/render-detections.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import sharp from 'sharp';
import type { DetectResult } from '../gateway/src/vision/detect-types';
import { withOneOffGateway } from './one-off-gateway';

const root = resolve(__dirname, '..');
const media = resolve(root, '.cache/sample-media');
const out = resolve(root, 'docs/images/detections');
const IMAGES = [
  'messi5.jpg',
  'basketball1.png',
  'basketball2.png',
  'fruits.jpg',
  'home.jpg',
  'vtest-frames/frame-01.png',
  'vtest-frames/frame-04.png',
  'vtest-frames/frame-07.png',
];
const COLORS = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#bfef45',
];

function overlay(result: DetectResult): Buffer {
  const { width, height } = result.image;
  const shapes = result.detections.map((detection, index) => {
    const [x1, y1, x2, y2] = detection.box;
    const color = COLORS[detection.classId % COLORS.length];
    const label = `${detection.label} ${detection.score.toFixed(2)}`;
    const textY = y1 > 14 ? y1 - 4 : y1 + 12;
    return `<g><rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${color}" stroke-width="2"/>
<rect x="${x1}" y="${textY - 11}" width="${label.length * 6.2 + 4}" height="14" fill="${color}" opacity="0.85"/>
<text x="${x1 + 2}" y="${textY}" font-family="DejaVu Sans, sans-serif" font-size="11" fill="white" data-i="${index}">${label}</text></g>`;
  });
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`,
  );
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const summary: string[] = [];
  await withOneOffGateway(async (gateway, key) => {
    for (const name of IMAGES) {
      const image = readFileSync(resolve(media, name));
      const type = extname(name) === '.png' ? 'image/png' : 'image/jpeg';
      const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': type },
        body: image,
      });
      const result = (await response.json()) as DetectResult;
      const file = `${basename(name, extname(name))}.png`;
      await sharp(image)
        .composite([{ input: overlay(result), top: 0, left: 0 }])
        .png()
        .toFile(resolve(out, file));
      summary.push(
        `${name}: ${result.detections.map((d) => `${d.label} ${d.score.toFixed(2)}`).join(', ') || '(none)'}`,
      );
    }
  });
  writeFileSync(
    resolve(out, 'README.md'),
    `# Rendered detections\n\nNanoDet-m through \`POST /v1/models/nanodet/detect\` with the default options; regenerate with\n\`node -r @swc-node/register scripts/render-detections.ts\`.\n\n${summary.map((line) => `- ${line}`).join('\n')}\n`,
  );
  console.log(summary.join('\n'));
}

void main();
