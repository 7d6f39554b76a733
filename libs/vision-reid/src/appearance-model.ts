/**
 * The contract of triton-models/appearance-mobilenetv2 (docs/model-cards/appearance-mobilenetv2.md):
 * one person crop per batch row, RGB stretched to 128x64, values in [0, 1], planar (NCHW); the
 * ImageNet normalisation and the final L2 normalisation are inside the graph.
 */
export const APPEARANCE_MODEL = {
  name: 'appearance-mobilenetv2',
  input: 'images',
  output: 'embedding',
  inputHeight: 128,
  inputWidth: 64,
  dimension: 1280,
} as const;

/** Target size of a crop in the model input. */
export interface CropSize {
  width: number;
  height: number;
}

export const APPEARANCE_CROP: CropSize = {
  width: APPEARANCE_MODEL.inputWidth,
  height: APPEARANCE_MODEL.inputHeight,
};
