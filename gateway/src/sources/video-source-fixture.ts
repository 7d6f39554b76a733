/**
 * What the VideoSource specs share (a test fixture, not a spec): the sample video, the check
 * that ffmpeg and it are there, sources closed after each test, and a short clip cut from it.
 * Each function registers its hooks: call it inside the describe() that uses it. Test code:
 * gateway/tsconfig.app.json leaves `*-fixture.ts` out of the app build.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingPrerequisite, SAMPLE_MEDIA } from '@test-support';
import { ffmpegUnavailableReason } from './ffmpeg-availability';
import type { SourceDescription } from './source-description';
import { VideoSource, type VideoSourceOptions } from './video-source';

export const VTEST = join(SAMPLE_MEDIA, 'vtest.avi');

/** True when ffmpeg or vtest.avi is missing: call first in the describe(), then register nothing. */
export function missingVideoPrerequisites(): boolean {
  if (missingPrerequisite('ffmpeg', ffmpegUnavailableReason())) return true;
  return missingPrerequisite(
    'vtest.avi',
    existsSync(VTEST) ? undefined : 'run scripts/fetch-sample-media.sh',
  );
}

export type OpenSource = (
  description: SourceDescription,
  options?: VideoSourceOptions,
) => VideoSource;

/** Opens VideoSources (`defaults` under each one's options); every one is closed after each test. */
export function trackedSources(defaults: VideoSourceOptions = {}): OpenSource {
  const sources: VideoSource[] = [];
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((source) => source.close()));
  });
  return (description, options = {}) => {
    const source = new VideoSource(description, { ...defaults, ...options });
    sources.push(source);
    return source;
  };
}

export interface ShortClip {
  /** A temporary folder, removed after all the tests. */
  folder: string;
  /** The first second of vtest.avi (10 frames), stream-copied: a file that ends quickly. */
  shortClip: string;
}

/** A temporary folder named from `prefix`, holding the short clip (made before all the tests). */
export function withShortClip(prefix: string): ShortClip {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  const clip = join(folder, 'short.avi');
  beforeAll(() => {
    execFileSync('ffmpeg', ['-v', 'error', '-i', VTEST, '-frames:v', '10', '-c', 'copy', clip]);
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  return { folder, shortClip: clip };
}
