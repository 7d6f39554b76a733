import { planPreprocess, type PreprocessPlan, type ResizeMode } from '@vision-math';
import sharp from 'sharp';
import { invalidArgument } from '../../errors/gateway-error';
import type { DetectContext, DetectStage } from '../detect-types';
import type { DecodeBudget } from '../decode-budget';
import type { ImageLimits } from '../image-limits';
import { imageError } from './decode-image.stage';

/** uint8 → [0, 1] without a division per pixel. */
const UNIT_SCALE = Float32Array.from({ length: 256 }, (_, value) => value / 255);

/**
 * Decodes, orients and resizes the image into the model's input (stretch or letterbox per the plan),
 * then writes RGB planes straight into one NCHW float32 buffer: the only copy of the pixels. The
 * decode waits for room in the decode budget: the header stage has bounded what one decode costs,
 * the budget bounds what all decodes running at once cost.
 */
export class PreprocessStage implements DetectStage {
  readonly name = 'preprocess';

  constructor(
    private readonly limits: ImageLimits,
    private readonly budget: DecodeBudget,
  ) {}

  async run(context: DetectContext): Promise<void> {
    const source = context.source;
    if (!source) throw new Error('preprocess needs the decode stage first');
    const [channels, inputHeight, inputWidth] = inputLayout(context);
    const mode: ResizeMode = context.request.options.resize ?? resizeModeOf(context);
    const plan = planPreprocess(source.width, source.height, inputWidth, inputHeight, mode);

    const pixels = await this.budget.run(
      source.decodedBytes,
      () => this.decode(context.request.image, source.autoOrient, plan, inputWidth, inputHeight),
      context.request.signal,
    );

    const planeSize = inputWidth * inputHeight;
    if (pixels.byteLength !== planeSize * channels) {
      throw invalidArgument(
        `image decoded to ${pixels.byteLength} bytes, expected ${planeSize * channels}`,
      );
    }
    const input = new Float32Array(channels * planeSize);
    for (let pixel = 0, offset = 0; pixel < planeSize; pixel += 1, offset += 3) {
      input[pixel] = UNIT_SCALE[pixels[offset]];
      input[planeSize + pixel] = UNIT_SCALE[pixels[offset + 1]];
      input[2 * planeSize + pixel] = UNIT_SCALE[pixels[offset + 2]];
    }
    context.plan = plan;
    context.input = input;
  }

  /** The resized, padded RGB pixels (uint8, interleaved) of the model's input size. */
  private async decode(
    bytes: Buffer,
    autoOrient: boolean,
    plan: PreprocessPlan,
    inputWidth: number,
    inputHeight: number,
  ): Promise<Buffer> {
    try {
      // sharp's defaults stay as they are where they bound cost: sequentialRead (stream rows where
      // the format allows), unlimited false (libpng's chunk limits), one page; failOn 'error' stops
      // at corrupt pixel data instead of decoding the rest.
      let image = sharp(bytes, { limitInputPixels: this.limits.maxPixels, failOn: 'error' });
      if (autoOrient) image = image.rotate();
      // No shrink-on-load: JPEG/WebP decoders would otherwise pre-scale by format-specific rules, so
      // the same picture would reach the model slightly differently depending on its encoding.
      image = image.resize(plan.resizedWidth, plan.resizedHeight, {
        fit: 'fill',
        fastShrinkOnLoad: false,
      });
      const right = inputWidth - plan.resizedWidth - plan.padLeft;
      const bottom = inputHeight - plan.resizedHeight - plan.padTop;
      if (plan.padLeft || plan.padTop || right || bottom) {
        image = image.extend({
          left: plan.padLeft,
          top: plan.padTop,
          right,
          bottom,
          background: { r: 0, g: 0, b: 0 },
        });
      }
      return await image.removeAlpha().toColourspace('srgb').raw().toBuffer();
    } catch (error) {
      throw imageError(error);
    }
  }
}

/** [C, H, W] of the model's image input (its full shape minus the batch dimension). */
export function inputLayout(context: DetectContext): [number, number, number] {
  const input = context.target.metadata.inputs[0];
  const dims = context.target.metadata.maxBatchSize > 0 ? input.shape.slice(1) : input.shape;
  if (dims.length !== 3 || dims[0] !== 3 || dims.some((dim) => dim <= 0)) {
    throw invalidArgument(
      `model '${context.target.metadata.name}' does not take a fixed-size 3-channel NCHW image`,
    );
  }
  return [dims[0], dims[1], dims[2]];
}

function resizeModeOf(context: DetectContext): ResizeMode {
  return context.target.metadata.parameters['vision.resize'] === 'letterbox'
    ? 'letterbox'
    : 'stretch';
}
