import { batchedNms } from '@vision-math';
import type { DetectContext, DetectStage } from '../detect-types';

/** Class-aware non-maximum suppression, capped at the requested number of detections. */
export class NmsStage implements DetectStage {
  readonly name = 'nms';

  run(context: DetectContext): void {
    const { iouThreshold, maxDetections } = context.request.options;
    context.detections = batchedNms(context.candidates ?? [], { iouThreshold, maxDetections });
  }
}
