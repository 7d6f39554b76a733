import { extname } from 'node:path';
import { readSampleMedia } from '@test-support';
import { IMAGE_FILES } from './settings';

export interface SampleImage {
  name: string;
  bytes: Buffer;
  contentType: 'image/jpeg' | 'image/png';
}

/** The benchmark images, read once; every path is sent the same bytes in the same rotation. */
export function loadImages(): SampleImage[] {
  return IMAGE_FILES.map((name) => {
    const bytes = readSampleMedia(name);
    return { name, bytes, contentType: extname(name) === '.png' ? 'image/png' : 'image/jpeg' };
  });
}
