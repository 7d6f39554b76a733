import type { Tensor } from 'onnxruntime-node';

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
  id: number;
  feeds: WireTensor[];
  fetches: string[];
  /** Epoch ms: a run still waiting for the thread at that time is answered `expired`, not run. */
  deadline?: number;
}

export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'load-error'; message: string }
  | { kind: 'result'; id: number; outputs: WireTensor[] }
  | { kind: 'run-error'; id: number; message: string }
  | { kind: 'expired'; id: number };
