export type { Box, Detection } from './types';
export {
  type PreprocessPlan,
  type ResizeMode,
  mapBoxToModel,
  mapBoxToSource,
  planPreprocess,
} from './geometry';
export {
  type GflDecodeOptions,
  type GflHeadSpec,
  type GflLevelOutput,
  GflDecoder,
  NANODET_M_416,
  decodeGfl,
  expectedBinDistance,
} from './gfl-decode';
export { type NmsOptions, batchedNms, batchedNmsIndices, iou } from './nms';
export { AGREEMENT_IOU, matchedDetections } from './detection-agreement';
