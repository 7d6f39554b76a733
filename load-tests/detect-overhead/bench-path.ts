import type { SampleImage } from './images';
import type { PathName } from './settings';

/** One way of getting detections (or raw model outputs) for an image, as the load loop drives it. */
export interface BenchPath {
  name: PathName;
  /** Resolves when the answer is complete and checked; rejects on any failure. */
  send(image: SampleImage, index: number): Promise<void>;
}
