export type { FrameChannels, PixelBox, TrackRef } from './types';
export { APPEARANCE_CROP, APPEARANCE_MODEL, type CropSize } from './appearance-model';
export { cosineSimilarity, l2NormaliseInPlace } from './embedding-math';
export { type ColourHistogramOptions, colourHistogramEmbedding } from './colour-histogram';
export { cropInputLength, cropPlanarInput } from './crop-input';
export {
  type AppearanceGalleryOptions,
  AppearanceGallery,
  type Identity,
} from './appearance-gallery';
export {
  type CameraLink,
  CameraTopology,
  type CameraTopologyOptions,
  type TransitWindow,
} from './camera-topology';
export {
  type AssignmentKind,
  CrossCameraAssociator,
  type CrossCameraAssociatorOptions,
  type GlobalAssignment,
  type TrackObservation,
} from './cross-camera-associator';
export {
  type GlobalIdAssignment,
  globalIdPrecisionRecall,
  type PairwiseScores,
} from './global-id-metrics';
