import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SAMPLE_MEDIA } from './sample-media';

export interface FrameExtraction {
  /** First frame to take (0-based, at the video's own rate). */
  start?: number;
  count: number;
  /** ffmpeg `crop` filter arguments (w:h:x:y), e.g. the left part of the scene as one "camera". */
  crop?: string;
  /** JPEG quality, ffmpeg's -q:v scale (2 best … 31 worst). */
  quality?: number;
}

/**
 * Consecutive frames of a sample video as JPEG bytes, decoded by the real ffmpeg (a missing ffmpeg
 * or video fails the caller, never skips it).
 */
export function extractVideoFrames(video: string, extraction: FrameExtraction): Buffer[] {
  const { start = 0, count, crop, quality = 4 } = extraction;
  const dir = mkdtempSync(join(tmpdir(), 'frames-'));
  try {
    const filters = [`select='gte(n\\,${start})'`, ...(crop ? [`crop=${crop}`] : [])];
    const ran = spawnSync(
      'ffmpeg',
      [
        '-loglevel',
        'error',
        '-i',
        resolve(SAMPLE_MEDIA, video),
        '-vf',
        filters.join(','),
        '-vsync',
        'vfr',
        '-frames:v',
        String(count),
        '-q:v',
        String(quality),
        join(dir, '%05d.jpg'),
      ],
      { encoding: 'utf8' },
    );
    if (ran.error || ran.status !== 0) {
      throw new Error(
        `ffmpeg could not extract frames of ${video}: ${ran.error?.message ?? ran.stderr.trim()} (install ffmpeg; run scripts/fetch-sample-media.sh)`,
      );
    }
    return readdirSync(dir)
      .sort()
      .map((name) => readFileSync(join(dir, name)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
