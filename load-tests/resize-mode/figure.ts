import { planPreprocess } from '@vision-math';
import sharp, { type OverlayOptions } from 'sharp';
import type { Box } from './boxes';
import type { Detector } from './detector';
import { padToAspect, type VideoFrame } from './media';
import { MODES, PERSON, type AspectVariant, type StudySettings } from './settings';

const PANEL_HEIGHT = 416;
const GAP = 12;
const ROW_TITLE = 24;
const HEADER = 34;

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function boxesSvg(
  width: number,
  height: number,
  drawn: { box: Box; color: string; dashed?: boolean }[],
): Buffer {
  const rects = drawn.map(({ box, color, dashed }) => {
    const [x1, y1, x2, y2] = box;
    const dash = dashed ? ' stroke-dasharray="4 3"' : '';
    return `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${(x2 - x1).toFixed(1)}" height="${(y2 - y1).toFixed(1)}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`;
  });
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${rects.join('')}</svg>`,
  );
}

const scaleBox = (box: Box, sx: number, sy: number, dx = 0, dy = 0): Box => [
  box[0] * sx + dx,
  box[1] * sy + dy,
  box[2] * sx + dx,
  box[3] * sy + dy,
];

/**
 * One frame padded to a wide aspect ratio, in both modes: left, the padded frame with the person
 * boxes found on it (green) and those the same mode found on the unpadded frame (dashed white);
 * right, the 416×416 model input that mode builds, with the boxes as the model drew them.
 */
export async function renderFigure(
  detector: Detector,
  frame: VideoFrame,
  frameSize: { width: number; height: number },
  variant: AspectVariant,
  settings: StudySettings,
): Promise<Buffer> {
  const padded = await padToAspect(
    frame.bytes,
    frameSize.width,
    frameSize.height,
    variant,
    settings.padGrey,
  );
  const input = { width: detector.inputWidth, height: detector.inputHeight };
  const leftScale = PANEL_HEIGHT / padded.height;
  const leftWidth = Math.round(padded.width * leftScale);
  const width = GAP + leftWidth + GAP + input.width + GAP;
  const height = HEADER + MODES.length * (ROW_TITLE + PANEL_HEIGHT + GAP);
  const layers: OverlayOptions[] = [];
  const texts: string[] = [
    `<text x="${GAP}" y="22" font-size="16" font-weight="bold">${escape(
      `vtest.avi frame ${frame.index} (${frameSize.width}×${frameSize.height}) padded to ${variant.name} ` +
        `(${padded.width}×${padded.height}); persons at score ≥ ${settings.scoreThreshold}`,
    )}</text>`,
  ];

  for (const [row, mode] of MODES.entries()) {
    const top = HEADER + row * (ROW_TITLE + PANEL_HEIGHT + GAP);
    const onPadded = await detector.detect(
      padded.bytes,
      mode,
      settings.scoreThreshold,
      settings.maxDetections,
    );
    const onOriginal = await detector.detect(
      frame.bytes,
      mode,
      settings.scoreThreshold,
      settings.maxDetections,
    );
    const found = onPadded.detections.filter((d) => d.label === PERSON).map((d) => d.box);
    const before = onOriginal.detections.filter((d) => d.label === PERSON).map((d) => d.box);

    // Left: the padded frame, scaled to the panel height.
    const left = await sharp(padded.bytes)
      .resize(leftWidth, PANEL_HEIGHT, { fit: 'fill' })
      .composite([
        {
          input: boxesSvg(leftWidth, PANEL_HEIGHT, [
            ...before.map((box) => ({
              box: scaleBox(
                box,
                leftScale,
                leftScale,
                padded.offsetX * leftScale,
                padded.offsetY * leftScale,
              ),
              color: '#ffffff',
              dashed: true,
            })),
            ...found.map((box) => ({ box: scaleBox(box, leftScale, leftScale), color: '#00e060' })),
          ]),
          top: 0,
          left: 0,
        },
      ])
      .png()
      .toBuffer();

    // Right: the model input as the preprocess stage builds it (resize, then black padding).
    const plan = planPreprocess(padded.width, padded.height, input.width, input.height, mode);
    const right = await sharp(padded.bytes)
      .resize(plan.resizedWidth, plan.resizedHeight, { fit: 'fill' })
      .extend({
        left: plan.padLeft,
        top: plan.padTop,
        right: input.width - plan.resizedWidth - plan.padLeft,
        bottom: input.height - plan.resizedHeight - plan.padTop,
        background: { r: 0, g: 0, b: 0 },
      })
      .composite([
        {
          input: boxesSvg(
            input.width,
            input.height,
            found.map((box) => ({
              box: scaleBox(box, plan.scaleX, plan.scaleY, plan.padLeft, plan.padTop),
              color: '#00e060',
            })),
          ),
          top: 0,
          left: 0,
        },
      ])
      .png()
      .toBuffer();

    layers.push({ input: left, top: top + ROW_TITLE, left: GAP });
    layers.push({ input: right, top: top + ROW_TITLE, left: GAP + leftWidth + GAP });
    texts.push(
      `<text x="${GAP}" y="${top + 17}" font-size="14">${escape(
        `${mode}: persons found on the padded frame ${found.length} (green), on the original frame ` +
          `${before.length} (dashed white); model input scale x ${plan.scaleX.toFixed(3)}, y ${plan.scaleY.toFixed(3)}`,
      )}</text>`,
    );
  }
  layers.push({
    input: Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">${texts.join('')}</svg>`,
    ),
    top: 0,
    left: 0,
  });
  return sharp({
    create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } },
  })
    .composite(layers)
    .png({ palette: true }) // quantised: a few hundred KiB instead of 1.7 MB
    .toBuffer();
}
