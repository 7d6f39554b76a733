import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** OpenCV's sample images and vtest.avi, where scripts/fetch-sample-media.sh puts them. */
export const SAMPLE_MEDIA = resolve(__dirname, '../../../.cache/sample-media');

/** A sample media file's bytes; a missing file fails the test or benchmark, never skips it. */
export function readSampleMedia(name: string): Buffer {
  try {
    return readFileSync(resolve(SAMPLE_MEDIA, name));
  } catch {
    throw new Error(`sample media '${name}' missing: run scripts/fetch-sample-media.sh`);
  }
}
