export {
  BoundedFrameQueue,
  MAX_QUEUE_CAPACITY,
  type FrameQueueStats,
  type FrameSubscription,
  type QueueDropReason,
  type QueueOptions,
  type QueuePolicy,
  type VideoFrame,
} from './bounded-frame-queue';
export { ffmpegUnavailableReason } from './ffmpeg-availability';
export { DEFAULT_BACKOFF, type BackoffSettings } from './restart-backoff';
export {
  InvalidSourceError,
  MAX_FPS,
  MAX_MAX_WIDTH,
  MIN_FPS,
  MIN_MAX_WIDTH,
  validateSourceDescription,
  type SourceDescription,
  type SourceField,
  type SourceInput,
  type SourceValidationOptions,
  type ValidatedSource,
} from './source-description';
export {
  DEFAULT_SOURCE_SETTINGS,
  VideoSource,
  type FrameDropReason,
  type SourceStateChange,
  type StateListener,
  type VideoSourceOptions,
  type VideoSourceSettings,
  type VideoSourceState,
  type VideoSourceStats,
} from './video-source';
export { redactUrlCredentials } from './stderr-tail';
