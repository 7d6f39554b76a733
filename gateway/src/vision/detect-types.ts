import type { Detection as Candidate, PreprocessPlan, ResizeMode } from '@vision-math';
import type { InferResponse } from '../request-path/inference-backend';
import type { ResolvedTarget } from '../request-path/resolved-target';
import type { AdmittedCall } from '../request-path/call-work';

export interface DetectOptions {
  scoreThreshold: number;
  iouThreshold: number;
  maxDetections: number;
  /** Class labels to keep; undefined keeps all. */
  classes?: string[];
  /** Overrides the model's configured resize mode. */
  resize?: ResizeMode;
}

export interface DetectRequest {
  model: string;
  version: string;
  image: Buffer;
  options: DetectOptions;
  /** The caller's deadline (epoch ms) and going-away signal, passed on to the inference call. */
  deadline?: number;
  signal?: AbortSignal;
}

export interface DetectedObject {
  label: string;
  classId: number;
  score: number;
  /** [x1, y1, x2, y2] in original image pixels. */
  box: [number, number, number, number];
}

export interface DetectResult {
  model: string;
  version: string;
  image: { width: number; height: number };
  detections: DetectedObject[];
  timingsMs: Record<string, number>;
}

/** State handed from stage to stage of one detect request. */
export interface DetectContext {
  readonly request: DetectRequest;
  /**
   * The call as admitted: who calls, the routed version, the deadline and the signal the tensor
   * work runs under. Absent only where a benchmark runs single stages without a call.
   */
  readonly admitted?: AdmittedCall;
  /** The version serving the call (resolved once, before any stage), and its metadata. */
  readonly target: ResolvedTarget;
  /** The requested class filter as class ids; undefined keeps every class. */
  readonly classIds?: ReadonlySet<number>;
  /**
   * Image size after EXIF orientation (the pixel space boxes are reported in), and the size of its
   * decoded bitmap (width × height × channels × bytes per sample), from the header.
   */
  source?: { width: number; height: number; autoOrient: boolean; decodedBytes: number };
  plan?: PreprocessPlan;
  /** NCHW float32 model input for this one image. */
  input?: Float32Array;
  inference?: InferResponse;
  candidates?: Candidate[];
  detections?: Candidate[];
}

/** One step of the vision path; the order lives in detect-pipeline.ts. */
export interface DetectStage {
  readonly name: string;
  run(context: DetectContext): Promise<void> | void;
}
