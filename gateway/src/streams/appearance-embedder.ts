import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APPEARANCE_MODEL,
  colourHistogramEmbedding,
  cropInputLength,
  cropPlanarInput,
  type PixelBox,
} from '@vision-reid';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import { toGatewayError } from '../errors/gateway-error';
import { CallPipeline } from '../pipeline/call-pipeline';
import { TensorPath, TensorWork } from '../pipeline/tensor-work';
import type { CallContext } from '../request-path/call-context';

/** After the embedder model was not found, how long re-identification stays off (no retry storm). */
const MISSING_MODEL_BACKOFF_MS = 10_000;

/** A decoded RGB frame (sharp's raw output). */
export interface RgbFrame {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/**
 * Appearance embeddings of boxes of a frame (GATEWAY_REID_EMBEDDING): the appearance model as a
 * companion call of the camera frame (routed, admitted and batched like any call to that model,
 * so several streams' crops share batches; not authorised or charged again), or the colour
 * histogram baseline computed here.
 */
@Injectable()
export class AppearanceEmbedder {
  private readonly logger = new Logger(AppearanceEmbedder.name);
  private missingUntil = 0;

  constructor(
    @Inject(CONFIG_SLICE.streams) private readonly settings: ConfigSlice<'streams'>,
    private readonly calls: CallPipeline,
    private readonly tensors: TensorPath,
  ) {}

  get available(): boolean {
    if (this.settings.reidEmbedding === 'colour-histogram') return true;
    return this.settings.reidModel !== '' && Date.now() >= this.missingUntil;
  }

  /** One L2-normalised embedding per box. */
  async embed(
    call: CallContext,
    frame: RgbFrame,
    boxes: readonly PixelBox[],
    bounds: { deadline: number; signal: AbortSignal },
  ): Promise<Float32Array[]> {
    const { pixels, width, height } = frame;
    if (this.settings.reidEmbedding === 'colour-histogram') {
      return boxes.map((box) => colourHistogramEmbedding(pixels, width, height, 3, box));
    }
    const crops = new Float32Array(boxes.length * cropInputLength());
    boxes.forEach((box, index) =>
      cropPlanarInput(pixels, width, height, 3, box, crops, index * cropInputLength()),
    );
    return this.runModel(call, crops, boxes.length, bounds);
  }

  private async runModel(
    call: CallContext,
    crops: Float32Array,
    count: number,
    bounds: { deadline: number; signal: AbortSignal },
  ): Promise<Float32Array[]> {
    const model = this.settings.reidModel;
    const request = {
      model,
      version: '',
      inputs: [
        {
          name: APPEARANCE_MODEL.input,
          datatype: 'FP32' as const,
          shape: [count, 3, APPEARANCE_MODEL.inputHeight, APPEARANCE_MODEL.inputWidth],
          data: crops,
        },
      ],
      outputs: [APPEARANCE_MODEL.output],
    };
    try {
      const response = await this.calls.run(
        { ...call, images: count, companion: true },
        { model, version: '', ...bounds },
        new TensorWork(request, this.tensors),
      );
      const data = response.outputs.find(({ name }) => name === APPEARANCE_MODEL.output)?.data;
      if (!(data instanceof Float32Array)) {
        throw new Error(`${model} answered without a FP32 '${APPEARANCE_MODEL.output}' output`);
      }
      const dimension = data.length / count;
      return Array.from({ length: count }, (_, index) =>
        data.subarray(index * dimension, (index + 1) * dimension),
      );
    } catch (error) {
      if (toGatewayError(error).kind === 'not_found') {
        this.missingUntil = Date.now() + MISSING_MODEL_BACKOFF_MS;
        this.logger.warn(
          `re-identification paused: the appearance model '${model}' is not served (GATEWAY_REID_MODEL)`,
        );
      }
      throw error;
    }
  }
}
