import type { DetectPipeline } from '../../vision/detect-pipeline';
import type { FrameStage, FrameWork } from '../frame-work';

/**
 * ByteTrack's second association recovers occluded objects from low-score boxes, so the detector
 * is asked down to this score; the stream's score_threshold is the tracker's high-score bar.
 */
export const LOW_SCORE_FLOOR = 0.1;

/**
 * The frame as a detect call: the whole call pipeline (authorize, rate-limit per frame, route,
 * admit at real-time priority under the frame's own deadline) and the vision path. The stream's
 * first frame is routed; later frames are pinned to the version it got, so a canary split never
 * switches a camera's tracker between versions mid-stream.
 */
export class DetectFrameStage implements FrameStage {
  readonly name = 'detect';

  constructor(private readonly detector: DetectPipeline) {}

  async run(work: FrameWork): Promise<void> {
    const { config, frame } = work;
    const options = {
      ...config.options,
      scoreThreshold: Math.min(config.options.scoreThreshold, LOW_SCORE_FLOOR),
    };
    const result = await this.detector.detect(
      {
        model: config.model,
        version: config.version,
        image: frame.image,
        options,
        deadline: frame.deadline,
        signal: work.signal,
      },
      work.call,
    );
    config.version = result.version;
    work.detection = result;
    for (const [stage, ms] of Object.entries(result.timingsMs)) {
      if (stage !== 'total') work.timingsMs[stage] = ms;
    }
  }
}
