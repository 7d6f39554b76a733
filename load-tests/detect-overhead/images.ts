import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { IMAGE_FILES, SAMPLE_MEDIA } from './settings';

export interface SampleImage {
  name: string;
  bytes: Buffer;
  contentType: 'image/jpeg' | 'image/png';
}

/** The benchmark images, read once; every path is sent the same bytes in the same rotation. */
export function loadImages(): SampleImage[] {
  return IMAGE_FILES.map((name) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(resolve(SAMPLE_MEDIA, name));
    } catch {
      throw new Error(`sample image '${name}' missing: run scripts/fetch-sample-media.sh`);
    }
    return { name, bytes, contentType: extname(name) === '.png' ? 'image/png' : 'image/jpeg' };
  });
}
