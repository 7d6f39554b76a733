import { Inject, Injectable, Logger } from '@nestjs/common';
import { APPEARANCE_MODEL, cropInputLength } from '@vision-reid';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';
import { toGatewayError } from '../errors/gateway-error';
import { CallPipeline } from '../pipeline/call-pipeline';
import { TensorPath, TensorWork } from '../pipeline/tensor-work';
import type { CallContext } from '../request-path/call-context';

/** After the embedder model was not found, how long re-identification stays off (no retry storm). */
const MISSING_MODEL_BACKOFF_MS = 10_000;

/**
 * The appearance model as a companion call of a camera frame: routed, admitted and batched like any
 * call to that model (several streams' crops share batches), not authorised or charged again.
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
    return this.settings.reidModel !== '' && Date.now() >= this.missingUntil;
  }

  /** One L2-normalised embedding per crop of `crops` (count × 3 × 128 × 64, planar, 0..1). */
  async embed(
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
          data: crops.subarray(0, count * cropInputLength()),
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
      const output = response.outputs.find(({ name }) => name === APPEARANCE_MODEL.output);
      const data = output?.data;
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
