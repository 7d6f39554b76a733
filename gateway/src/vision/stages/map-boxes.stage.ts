import { mapBoxToSource } from '@vision-math';
import type { DetectContext, DetectStage } from '../detect-types';

/** Maps boxes from model-input pixels back to the original image through the exact resize plan. */
export class MapBoxesStage implements DetectStage {
  readonly name = 'map-boxes';

  run(context: DetectContext): void {
    const { plan, source } = context;
    if (!plan || !source) throw new Error('map-boxes needs the preprocess stage first');
    for (const detection of context.detections ?? []) {
      mapBoxToSource(detection, plan, source.width, source.height, detection);
    }
  }
}
