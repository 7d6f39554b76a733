import { GflDecoder } from '@vision-math';
import type { DetectContext, DetectStage } from '../detect-types';
import type { VersionPart } from '../../serving/served-version';
import type { ServedVersions } from '../../serving/served-versions';
import { gflHeadOf, gflLevels, type GflHead } from '../gfl-head';

/** Cell centres of the converted NanoDet-m sit at (x + 0.5)·stride (checked in the model card). */
const CENTER_OFFSET = 0.5;

/** Turns the raw head outputs into scored candidate boxes in model-input pixels. */
export class DecodeDetectionsStage implements DetectStage {
  readonly name = 'decode-detections';
  /**
   * Head layout and decoder of a served version. Decoding is synchronous, so one decoder and its
   * scratch buffers are safe to reuse.
   */
  private readonly part: VersionPart<{ head: GflHead; decoder: GflDecoder }> = {
    name: 'detection-head',
    build: ({ target: { metadata } }) => {
      const head = gflHeadOf(metadata);
      return { head, decoder: new GflDecoder(head.spec) };
    },
  };

  constructor(private readonly versions: ServedVersions) {}

  run(context: DetectContext): void {
    if (!context.inference) throw new Error('decode needs the infer stage first');
    const { target, request } = context;
    const { head, decoder } = this.versions.of(target).part(this.part);
    context.candidates = decoder.decode(gflLevels(head, context.inference.outputs), 0, {
      scoreThreshold: request.options.scoreThreshold,
      classes: context.classIds,
      centerOffset: CENTER_OFFSET,
    });
  }
}
