import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readSampleMedia } from '@test-support';
import { STILL_FILES, VIDEO_FILE, type AspectVariant } from './settings';

export interface Still {
  name: string;
  bytes: Buffer;
}

export function loadStills(): Still[] {
  return STILL_FILES.map((name) => ({ name, bytes: readSampleMedia(name) }));
}

export interface VideoFrame {
  /** Frame number in vtest.avi (0-based). */
  index: number;
  /** Lossless PNG of the frame, as ffmpeg decoded it. */
  bytes: Buffer;
}

/**
 * Every `step`-th frame of vtest.avi (at most `max`), decoded by ffmpeg into a temporary folder as
 * PNG (lossless, so both modes see exactly the decoder's pixels) and read into memory.
 */
export function extractFrames(step: number, max: number): VideoFrame[] {
  if (!existsSync(VIDEO_FILE))
    throw new Error('vtest.avi missing: run scripts/fetch-sample-media.sh');
  const dir = mkdtempSync(join(tmpdir(), 'resize-mode-'));
  try {
    execFileSync(
      'ffmpeg',
      [
        '-v',
        'error',
        '-nostdin',
        '-i',
        VIDEO_FILE,
        '-vf',
        `select=not(mod(n\\,${step}))`,
        '-fps_mode',
        'vfr',
        '-frames:v',
        String(max),
        '-compression_level',
        '1',
        join(dir, 'frame-%04d.png'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const files = readdirSync(dir)
      .filter((name) => name.endsWith('.png'))
      .sort();
    if (files.length < 2) throw new Error(`ffmpeg extracted ${files.length} frames from vtest.avi`);
    return files.map((name, i) => ({ index: i * step, bytes: readFileSync(join(dir, name)) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A frame padded to another aspect ratio; the original sits at (offsetX, offsetY), unscaled. */
export interface PaddedImage {
  bytes: Buffer;
  width: number;
  height: number;
  offsetX: number;
  offsetY: number;
}

/** Size of the padded canvas: the frame is widened or heightened, never cropped or scaled. */
export function paddedSize(
  width: number,
  height: number,
  variant: AspectVariant,
): { width: number; height: number } {
  const aspect = variant.width / variant.height;
  if (aspect >= width / height) return { width: Math.round(height * aspect), height };
  return { width, height: Math.round(width / aspect) };
}

/**
 * Centres the frame on a uniform grey canvas of the variant's aspect ratio. Every pixel of the
 * original stays, at its original scale, so every person in it stays fully visible and the
 * original detections, shifted by the offset, are what the detector should find again.
 */
export async function padToAspect(
  bytes: Buffer,
  width: number,
  height: number,
  variant: AspectVariant,
  grey: number,
): Promise<PaddedImage> {
  const size = paddedSize(width, height, variant);
  const offsetX = Math.floor((size.width - width) / 2);
  const offsetY = Math.floor((size.height - height) / 2);
  const padded = await sharp(bytes)
    .extend({
      left: offsetX,
      right: size.width - width - offsetX,
      top: offsetY,
      bottom: size.height - height - offsetY,
      background: { r: grey, g: grey, b: grey },
    })
    .png({ compressionLevel: 1 })
    .toBuffer();
  return { bytes: padded, ...size, offsetX, offsetY };
}
