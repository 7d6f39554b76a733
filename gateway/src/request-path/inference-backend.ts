import type { ModelConfig } from '@contracts/generated/inference/model_config_pb';
import type { KServeDatatype } from '@contracts/kserve/datatype';
import type { BackendTopology } from './backend-topology';
import type { ModelRepositoryControl } from './model-repository-control';
import type { ResolvedTarget } from './resolved-target';
import type { TraceHeaders } from './call-trace';
import type { InferTensor } from '../inference/tensor';

export interface TensorMetadata {
  name: string;
  datatype: KServeDatatype;
  /** Full shape as clients send it: -1 marks the batch dimension and any variable dimension. */
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  /** Versions the backend serves, ascending. */
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  maxBatchSize: number;
  labels?: string[];
  /** Model-config `parameters` (string values), e.g. which detection decoder fits the outputs. */
  parameters: Record<string, string>;
  /** The model configuration as the backend loaded it (Triton's `ModelConfig`). */
  config: ModelConfig;
}

export interface InferRequest {
  model: string;
  /** Empty selects the newest served version. */
  version: string;
  id?: string;
  inputs: InferTensor[];
  /** Output names to return; empty returns every output. */
  outputs: string[];
  /**
   * The classification extension: outputs (among `outputs`) to answer as their top N classes
   * instead of their values, N by output name; absent when none is (inference/classification.ts).
   */
  classCounts?: ReadonlyMap<string, number>;
  /** Aborted when the caller goes away: a backend that calls out (Triton) cancels that call. */
  signal?: AbortSignal;
  /**
   * When the caller stops waiting (ms since the epoch, `Date.now()` clock): a backend that calls out
   * passes it on (Triton gets it as the gRPC deadline); the admit stage refuses requests that cannot
   * finish before it.
   */
  deadline?: number;
  /** The call's W3C trace context for this hop: a backend that calls out (Triton) sends it on. */
  trace?: TraceHeaders;
  /**
   * The request exactly as the caller sent it as a KServe ModelInferRequest, when it did and it
   * holds nothing but what `of` says (no parameters): a backend that speaks KServe gRPC (Triton) may
   * send these bytes on unchanged while the request still is that, with the version it resolved.
   */
  readonly encoded?: Encoded<InferRequest, 'model' | 'version' | 'id' | 'inputs' | 'outputs'>;
}

/** A message's wire bytes and what they say (see InferRequest.encoded, InferResponse.encoded). */
export interface Encoded<T, K extends keyof T> {
  bytes: Uint8Array;
  of: Pick<T, K>;
}

/** Whether `value` still is what its bytes say: every field of `of` the very same. */
export function stillEncoded<T extends object, K extends keyof T>(
  value: T,
  encoded: Encoded<T, K> | undefined,
): encoded is Encoded<T, K> {
  if (!encoded) return false;
  return (Object.keys(encoded.of) as K[]).every((key) => encoded.of[key] === value[key]);
}

export interface InferResponse {
  model: string;
  version: string;
  id?: string;
  outputs: InferTensor[];
  /**
   * The answer exactly as the backend sent it as a KServe ModelInferResponse, when it did (Triton).
   * `of` is what those bytes say: a front door may answer with them unchanged only while the
   * response still is that (same model, version, id and the very same outputs array).
   */
  readonly encoded?: Encoded<InferResponse, 'model' | 'version' | 'id' | 'outputs'>;
}

/**
 * What the gateway needs from whatever runs models: the embedded ONNX Runtime (`embedded/`) or
 * Triton over KServe v2 gRPC (`triton/`). Nothing above this interface may tell the two apart.
 */
export interface InferenceBackend extends ModelRepositoryControl {
  readonly name: string;
  isReady(): boolean;
  listModels(): ModelMetadata[];
  /**
   * The version asked for ('' = the newest served) with its metadata; throws not_found for an
   * unknown model or version.
   */
  resolve(model: string, version: string): ResolvedTarget;
  /** How the backend serves the version now (healthy endpoints, instances, own batching). */
  topology(target: ResolvedTarget): BackendTopology;
  isModelReady(model: string, version: string): boolean;
  infer(request: InferRequest): Promise<InferResponse>;
}

export const INFERENCE_BACKEND = Symbol('INFERENCE_BACKEND');
