import type { CallContext } from '../request-path/call-context';
import type { DetectResult } from '../vision/detect-types';
import type { CameraState } from './camera-state';
import type { ResolvedStreamConfig } from './stream-config';

/** A frame as read from the stream, with the gateway's own clock on it. */
export interface ArrivedFrame {
  readonly cameraId: string;
  readonly seq: bigint;
  /** The client's capture time (epoch ms), or the arrival time when it gave none. */
  readonly captureTimeMs: number;
  readonly image: Buffer;
  /** `Date.now()` when the gateway read it, and when it stops being worth serving. */
  readonly arrivedAt: number;
  readonly deadline: number;
}

/** One object of a frame's answer, built up stage by stage. */
export interface FrameObject {
  trackId: number;
  globalId: number;
  label: string;
  classId: number;
  score: number;
  box: [number, number, number, number];
  /** Centre velocity, px per second. */
  velocity: [number, number];
  forecast: { horizonMs: number; x: number; y: number }[];
}

/** What the stages of one frame share: the stream's terms, the frame, its camera's state. */
export interface FrameWork {
  readonly call: CallContext;
  readonly config: ResolvedStreamConfig;
  readonly frame: ArrivedFrame;
  readonly camera: CameraState;
  /** Aborted when the stream goes away. */
  readonly signal: AbortSignal;
  detection?: DetectResult;
  objects: FrameObject[];
  timingsMs: Record<string, number>;
}

/** One step of a frame's path; the order lives in frame-pipeline.ts. */
export interface FrameStage {
  readonly name: string;
  run(work: FrameWork): Promise<void> | void;
}
