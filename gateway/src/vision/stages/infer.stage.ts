import type { InferencePipeline } from '../../inference/inference-pipeline';
import type { DetectContext, DetectStage } from '../detect-types';
import { inputLayout } from './preprocess.stage';

/**
 * Runs the prepared image through the same tensor request path as KServe clients, so the vision
 * API gets the same validation, limits and backend routing.
 */
export class InferStage implements DetectStage {
  readonly name = 'infer';

  constructor(private readonly pipeline: InferencePipeline) {}

  async run(context: DetectContext): Promise<void> {
    if (!context.input) throw new Error('infer needs the preprocess stage first');
    const { metadata, request, target } = context;
    const [channels, height, width] = inputLayout(context);
    const shape =
      metadata.maxBatchSize > 0 ? [1, channels, height, width] : [channels, height, width];
    context.inference = await this.pipeline.infer(
      {
        model: request.model,
        version: target.version,
        inputs: [{ name: metadata.inputs[0].name, datatype: 'FP32', shape, data: context.input }],
        outputs: [],
        deadline: request.deadline,
        signal: request.signal,
      },
      // One image per detect call; the caller's terms as the front door set them.
      context.call,
    );
  }
}
