import { handOver } from '../../inference/handed-over';
import type { TensorPath } from '../../pipeline/tensor-work';
import type { DetectContext, DetectStage } from '../detect-types';
import { inputLayout } from './preprocess.stage';

/**
 * Runs the prepared image through the tensor work KServe calls run once admitted (batch →
 * backend), under the detect call's admission: the call was authorised, charged, routed and
 * admitted once, as a whole, before its image was decoded.
 */
export class InferStage implements DetectStage {
  readonly name = 'infer';

  constructor(private readonly tensors: TensorPath) {}

  async run(context: DetectContext): Promise<void> {
    if (!context.input) throw new Error('infer needs the preprocess stage first');
    if (!context.admitted) throw new Error('infer runs only within an admitted call');
    const { target } = context;
    const { metadata } = target;
    const [channels, height, width] = inputLayout(context);
    const shape =
      metadata.maxBatchSize > 0 ? [1, channels, height, width] : [channels, height, width];
    context.inference = await this.tensors.run(
      {
        model: target.model,
        version: target.version,
        // Handed over: the embedded backend moves the 2 MB input to its worker thread instead of
        // copying it; the context's input is empty afterwards (a shadow copy decodes it again).
        inputs: [
          { name: metadata.inputs[0].name, datatype: 'FP32', shape, data: handOver(context.input) },
        ],
        outputs: [],
      },
      context.admitted,
    );
  }
}
