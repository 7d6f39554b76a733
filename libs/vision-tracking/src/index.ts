export type { ByteTrackOptions, TrackedObject, TrackerDetection } from './types';
export { ByteTracker } from './byte-tracker';
export {
  type KalmanState,
  STATE_SIZE,
  initiateState,
  predictState,
  updateState,
} from './kalman-box-filter';
export { type Assignment, assignWithCostLimit } from './linear-assignment';
export { boxIou, cornersToXyah, iouDistances, xyahToCorners } from './box-geometry';
