/** One detection of a frame, as the detector gives it. */
export interface TrackerDetection {
  /** x1, y1, x2, y2 in pixels (continuous coordinates: width is x2 − x1, no "+1"). */
  box: readonly [number, number, number, number];
  score: number;
  classId: number;
}

/** A confirmed track matched to a detection in this frame. */
export interface TrackedObject {
  /** Stable id, contiguous from 1 in order of confirmation (like supervision's tracker_id). */
  trackId: number;
  /** Index into the detections array given to this update. */
  detectionIndex: number;
  /** The Kalman-updated box (x1, y1, x2, y2), which smooths the detection's. */
  box: [number, number, number, number];
  /** Score of the matched detection. */
  score: number;
  /** Class of the matched detection (association itself ignores classes). */
  classId: number;
  /** Estimated motion of the box centre, pixels per frame step. */
  velocity: [number, number];
  /** Detections matched to this track so far, its first one included. */
  hits: number;
  /** Frames since the track was born (0 in its first frame). */
  ageFrames: number;
}

export interface ByteTrackOptions {
  /** Detections scoring at least this form the high set (first association, births). Default 0.25. */
  trackThresh?: number;
  /** Detections scoring above this and below trackThresh form the low set. Default 0.1. */
  lowThresh?: number;
  /** Largest fused IoU-score cost of a first-association match. Default 0.8. */
  matchThresh?: number;
  /** Frames (at 30 fps) a lost track waits to be found again. Default 30. */
  trackBuffer?: number;
  /** Frame rate of the stream: the lost buffer is trackBuffer × frameRate / 30 frames. Default 30. */
  frameRate?: number;
  /** A detection starts a track only when scoring at least this. Default trackThresh + 0.1. */
  newTrackThresh?: number;
  /**
   * A tracked and a lost track closer than this IoU distance (1 − IoU) are duplicates; the younger
   * one goes. Default 0.15 as in ByteTrack; supervision 0.30.9 uses 0.05.
   */
  duplicateIouDistance?: number;
  /** Detections considered per update; beyond it the lowest scores are ignored. Default 1000. */
  maxDetections?: number;
  /** Tracks held at once (tracked and lost); beyond it the longest-lost go first. Default 1000. */
  maxTracks?: number;
}
