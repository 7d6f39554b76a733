import type { GflHeadSpec, GflLevelOutput } from '@vision-math';
import { invalidArgument } from '../errors/gateway-error';
import type { InferTensor } from '../inference/tensor';
import type { ModelMetadata } from '../request-path/inference-backend';

/** The vision API's decoder for NanoDet-style GFL heads: outputs `cls_s<stride>` + `reg_s<stride>`. */
export const GFL_DECODER = 'nanodet-gfl';

export interface GflHead {
  spec: GflHeadSpec;
  /** Output names per level, in `spec.strides` order. */
  levels: { scores: string; regression: string }[];
}

/** Derives the head layout from model metadata, so a differently sized GFL model needs no code. */
export function gflHeadOf(metadata: ModelMetadata): GflHead {
  const decoder = metadata.parameters['vision.decoder'] ?? GFL_DECODER;
  if (decoder !== GFL_DECODER) {
    throw invalidArgument(
      `model '${metadata.name}' uses decoder '${decoder}', which the detect API does not support`,
    );
  }
  const outputs = new Map(metadata.outputs.map((output) => [output.name, output]));
  const strides = metadata.outputs
    .map((output) => /^cls_s(\d+)$/.exec(output.name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => a - b);
  const levels = strides.map((stride) => ({
    scores: `cls_s${stride}`,
    regression: `reg_s${stride}`,
  }));
  const first = levels[0] && outputs.get(levels[0].scores);
  const firstReg = levels[0] && outputs.get(levels[0].regression);
  const input = metadata.inputs[0];
  if (!first || !firstReg || !input || levels.some((level) => !outputs.has(level.regression))) {
    throw invalidArgument(
      `model '${metadata.name}' has no cls_s<N>/reg_s<N> outputs for a GFL detection head`,
    );
  }
  const [inputHeight, inputWidth] = input.shape.slice(-2);
  const numClasses = first.shape[first.shape.length - 1];
  const regMax = firstReg.shape[firstReg.shape.length - 1] / 4 - 1;
  return { spec: { inputWidth, inputHeight, strides, numClasses, regMax }, levels };
}

/** Views of one inference result's outputs as decoder levels (no copies). */
export function gflLevels(head: GflHead, outputs: readonly InferTensor[]): GflLevelOutput[] {
  const byName = new Map(outputs.map((output) => [output.name, output]));
  return head.levels.map((level) => ({
    scores: float32(byName.get(level.scores)),
    regression: float32(byName.get(level.regression)),
  }));
}

function float32(tensor: InferTensor | undefined): Float32Array {
  if (!tensor || !(tensor.data instanceof Float32Array)) {
    throw new Error(`GFL output ${tensor?.name ?? '(missing)'} is not FP32`);
  }
  return tensor.data;
}
