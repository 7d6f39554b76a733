export {
  type Forecaster,
  type LearningForecaster,
  type TrackId,
  type TrackPoint,
  isLearningForecaster,
} from './types';
export { DEFAULT_HORIZONS_MS, MAX_HISTORY_POINTS, MAX_HORIZON_MS, MAX_HORIZONS } from './limits';
export { type ConstantVelocityOptions, ConstantVelocityForecaster } from './constant-velocity';
export { type LearnedHorizon, OnlineRidgeForecaster } from './online-ridge';
export { type OnlineRidgeOptions, LEARNED_HORIZONS_MS } from './online-ridge-options';
export {
  type ErrorTableRow,
  type EvaluationTrack,
  type HorizonErrors,
  displacementErrors,
  evaluateForecastersOnTracks,
  formatErrorTable,
} from './evaluation';
