/** One object's track: its Kalman state, lifecycle and bookkeeping. */
import { type Corners, cornersToXyah, xyahToCorners } from './box-geometry';
import { type KalmanState, initiateState, predictState, updateState } from './kalman-box-filter';

/**
 * tracked: matched in its latest frame; lost: missed, waiting in the lost buffer; removed: gone
 * (a removed track may still sit one more frame in the lost list, as in ByteTrack).
 */
export type TrackPhase = 'tracked' | 'lost' | 'removed';

/** The detection a track is matched to in one update, with its index in the caller's input. */
export interface FrameDetection {
  box: Corners;
  score: number;
  classId: number;
  inputIndex: number;
}

export class Track {
  phase: TrackPhase = 'tracked';
  /** 0 until confirmed (a second match, or birth in the very first frame). */
  trackId = 0;
  lastFrame: number;
  hits = 1;
  score: number;
  classId: number;
  /** Input index of the detection matched in `lastFrame`. */
  detectionIndex: number;
  private readonly state: KalmanState;

  constructor(
    detection: FrameDetection,
    readonly startFrame: number,
  ) {
    this.state = initiateState(cornersToXyah(detection.box));
    this.lastFrame = startFrame;
    this.score = detection.score;
    this.classId = detection.classId;
    this.detectionIndex = detection.inputIndex;
  }

  get confirmed(): boolean {
    return this.trackId !== 0;
  }

  get box(): [number, number, number, number] {
    return xyahToCorners(this.state.mean);
  }

  get velocity(): [number, number] {
    return [this.state.mean[4], this.state.mean[5]];
  }

  /**
   * Moves the state `steps` frames ahead. A track that is not being tracked keeps its height:
   * ByteTrack zeroes the height velocity of lost tracks so that boxes do not grow or vanish.
   */
  predict(steps: number): void {
    for (let step = 0; step < steps; step++) {
      if (this.phase !== 'tracked') this.state.mean[7] = 0;
      predictState(this.state);
    }
  }

  /** Takes the detection matched in `frame`; a lost (or just-removed) track is tracked again. */
  match(detection: FrameDetection, frame: number): void {
    updateState(this.state, cornersToXyah(detection.box));
    this.phase = 'tracked';
    this.lastFrame = frame;
    this.hits++;
    this.score = detection.score;
    this.classId = detection.classId;
    this.detectionIndex = detection.inputIndex;
  }
}
