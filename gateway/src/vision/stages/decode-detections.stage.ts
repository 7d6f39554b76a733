import { GflDecoder } from '@vision-math';
import type { DetectContext, DetectStage } from '../detect-types';
import type { ModelMetadata } from '../../inference/inference-backend';
import { gflHeadOf, gflLevels, type GflHead } from '../gfl-head';

/** Cell centres of the converted NanoDet-m sit at (x + 0.5)·stride (checked in the model card). */
const CENTER_OFFSET = 0.5;

/** Turns the raw head outputs into scored candidate boxes in model-input pixels. */
export class DecodeDetectionsStage implements DetectStage {
  readonly name = 'decode-detections';
  /**
   * Head layout and decoder per model metadata (a backend hands out new metadata when a model
   * changes). Decoding is synchronous, so one decoder and its scratch buffers are safe to reuse.
   */
  private readonly decoders = new WeakMap<ModelMetadata, { head: GflHead; decoder: GflDecoder }>();

  run(context: DetectContext): void {
    if (!context.inference) throw new Error('decode needs the infer stage first');
    const { target, request } = context;
    const { metadata } = target;
    let entry = this.decoders.get(metadata);
    if (!entry) {
      const head = gflHeadOf(metadata);
      entry = { head, decoder: new GflDecoder(head.spec) };
      this.decoders.set(metadata, entry);
    }
    const { head, decoder } = entry;
    context.candidates = decoder.decode(gflLevels(head, context.inference.outputs), 0, {
      scoreThreshold: request.options.scoreThreshold,
      classes: context.classIds,
      centerOffset: CENTER_OFFSET,
    });
  }
}
