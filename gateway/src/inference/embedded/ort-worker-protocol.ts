import type { Tensor } from 'onnxruntime-node';
import type { OnnxSignature } from '@model-repository';

/** Messages between the gateway and an ONNX Runtime worker thread (see ort-worker.ts). */

export interface OrtWorkerData {
  modelFile: string;
  intraOpThreads: number;
}

export interface WireTensor {
  name: string;
  type: Tensor.Type;
  dims: readonly number[];
  data: Tensor.DataType;
}

export interface RunMessage {
  kind: 'run';
  id: number;
  feeds: WireTensor[];
  fetches: string[];
  /** Epoch ms: a run still waiting for the thread at that time is answered `expired`, not run. */
  deadline?: number;
  /**
   * Indices of the feeds whose buffers were moved here (handed over, not copied): the result
   * moves them back (`returned`) for the gateway to reuse.
   */
  moved: number[];
}

/**
 * Sent once on unload: the worker releases its session and lets its thread end. Messages are
 * handled in order, so every run sent before it is answered first. (Terminating a worker while
 * ONNX Runtime runs in it aborts the whole process.)
 */
export interface CloseMessage {
  kind: 'close';
}

export type WorkerMessage = RunMessage | CloseMessage;

export type WorkerReply =
  /** The session loaded; its inputs and outputs (names, types, dims), checked against config.pbtxt. */
  | { kind: 'ready'; signature: OnnxSignature }
  | { kind: 'load-error'; message: string }
  | { kind: 'result'; id: number; outputs: WireTensor[]; returned: ArrayBuffer[] }
  | { kind: 'run-error'; id: number; message: string }
  | { kind: 'expired'; id: number };
