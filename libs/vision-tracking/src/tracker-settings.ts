/** ByteTrackOptions with defaults filled in and checked, once per tracker. */
import type { ByteTrackOptions } from './types';

export interface TrackerSettings {
  trackThresh: number;
  lowThresh: number;
  matchThresh: number;
  newTrackThresh: number;
  /** Frames a lost track is kept: trackBuffer × frameRate / 30, truncated (as ByteTrack does). */
  maxFramesLost: number;
  duplicateIouDistance: number;
  maxDetections: number;
  maxTracks: number;
}

/** Second association (tracked leftovers vs low-score detections) and unconfirmed-track limits. */
export const LOW_SCORE_MATCH_THRESH = 0.5;
export const UNCONFIRMED_MATCH_THRESH = 0.7;

function checked(name: string, value: number, min: number, max: number): number {
  if (!(Number.isFinite(value) && value >= min && value <= max)) {
    throw new RangeError(`ByteTracker option ${name} must be from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function checkedCount(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new RangeError(`ByteTracker option ${name} must be a whole number ≥ 1, got ${value}`);
  }
  return value;
}

export function resolveSettings(options: ByteTrackOptions = {}): TrackerSettings {
  const trackThresh = checked('trackThresh', options.trackThresh ?? 0.25, 0, 1);
  const lowThresh = checked('lowThresh', options.lowThresh ?? 0.1, 0, trackThresh);
  // supervision's rule: 0.1 above the high threshold, unless that would pass 1.
  const defaultNewTrack = trackThresh + 0.1 > 1 ? trackThresh : trackThresh + 0.1;
  const trackBuffer = checked('trackBuffer', options.trackBuffer ?? 30, 0, 1_000_000);
  const frameRate = checked('frameRate', options.frameRate ?? 30, Number.MIN_VALUE, 1000);
  return {
    trackThresh,
    lowThresh,
    matchThresh: checked('matchThresh', options.matchThresh ?? 0.8, 0, 1),
    newTrackThresh: checked('newTrackThresh', options.newTrackThresh ?? defaultNewTrack, 0, 1),
    maxFramesLost: Math.trunc((frameRate / 30) * trackBuffer),
    duplicateIouDistance: checked(
      'duplicateIouDistance',
      options.duplicateIouDistance ?? 0.15,
      0,
      1,
    ),
    maxDetections: checkedCount('maxDetections', options.maxDetections ?? 1000),
    maxTracks: checkedCount('maxTracks', options.maxTracks ?? 1000),
  };
}
