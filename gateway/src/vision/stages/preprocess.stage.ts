import { planPreprocess, type PreprocessPlan, type ResizeMode } from '@vision-math';
import sharp from 'sharp';
import { invalidArgument } from '../../errors/gateway-error';
import { zeroedFloat32 } from '../../inference/handed-over';
import type { DetectContext, DetectStage } from '../detect-types';
import type { DecodeBudget } from '../decode-budget';
import type { ImageLimits } from '../image-limits';
import { imageError } from './decode-image.stage';

/** uint8 → [0, 1] without a division per pixel. */
const UNIT_SCALE = Float32Array.from({ length: 256 }, (_, value) => value / 255);

/**
 * Decodes, orients and resizes the image to its place in the model's input (stretch or letterbox
 * per the plan), then writes RGB planes straight into one NCHW float32 buffer: the only copy of the
 * pixels. Letterbox padding is that buffer's zeros (black), not pixels libvips adds: measured,
 * sharp's extend cost ~0.8 ms per call and the loop then walked the padding too. The decode waits
 * for room in the decode budget: the header stage has bounded what one decode costs, the budget
 * bounds what all decodes running at once cost.
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
      () => this.decode(context.request.image, source.autoOrient, plan),
      context.request.signal,
    );

    const { resizedWidth, resizedHeight, padLeft, padTop } = plan;
    if (pixels.byteLength !== resizedWidth * resizedHeight * channels) {
      throw invalidArgument(
        `image decoded to ${pixels.byteLength} bytes, expected ${resizedWidth * resizedHeight * channels}`,
      );
    }
    const planeSize = inputWidth * inputHeight;
    // Usually a spare buffer the embedded backend gave back after an earlier call (zeroed).
    const input = zeroedFloat32(channels * planeSize);
    const green = planeSize;
    const blue = 2 * planeSize;
    let offset = 0;
    for (let row = 0; row < resizedHeight; row += 1) {
      const start = (padTop + row) * inputWidth + padLeft;
      const end = start + resizedWidth;
      for (let pixel = start; pixel < end; pixel += 1, offset += 3) {
        input[pixel] = UNIT_SCALE[pixels[offset]];
        input[green + pixel] = UNIT_SCALE[pixels[offset + 1]];
        input[blue + pixel] = UNIT_SCALE[pixels[offset + 2]];
      }
    }
    context.plan = plan;
    context.input = input;
  }

  /** The resized RGB pixels (uint8, interleaved), resizedWidth × resizedHeight, unpadded. */
  private async decode(bytes: Buffer, autoOrient: boolean, plan: PreprocessPlan): Promise<Buffer> {
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
