import { GflDecoder } from '@vision-math';
import type { DetectContext, DetectStage } from '../detect-types';
import { gflHeadOf, gflLevels } from '../gfl-head';

/** Cell centres of the converted NanoDet-m sit at (x + 0.5)·stride (checked in the model card). */
const CENTER_OFFSET = 0.5;

/** Turns the raw head outputs into scored candidate boxes in model-input pixels. */
export class DecodeDetectionsStage implements DetectStage {
  readonly name = 'decode-detections';
  private readonly decoders = new Map<string, GflDecoder>();

  run(context: DetectContext): void {
    if (!context.inference) throw new Error('decode needs the infer stage first');
    const { metadata, request } = context;
    const head = gflHeadOf(metadata);
    // Decoding is synchronous, so one decoder (and its scratch buffers) per model is safe to reuse.
    let decoder = this.decoders.get(metadata.name);
    if (!decoder) {
      decoder = new GflDecoder(head.spec);
      this.decoders.set(metadata.name, decoder);
    }
    context.candidates = decoder.decode(gflLevels(head, context.inference.outputs), 0, {
      scoreThreshold: request.options.scoreThreshold,
      classes: context.classIds,
      centerOffset: CENTER_OFFSET,
    });
  }
}
