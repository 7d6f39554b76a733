import { readFileSync } from 'node:fs';
import type { NANODET_OUTPUTS } from '../nanodet-reference';
import type { ModelStatJson } from '../../src/kserve/statistics/statistics-json';

/**
 * The JSON summary `tritonclient_conformance.py` writes (what NVIDIA's client saw, call by call),
 * shared by every spec that runs it: against the gateway, against Triton, and through both.
 */

export const MISSING_MODEL = 'missing-model';

/** Per-sample dims of each output (config.pbtxt); the batch dimension comes first on the wire. */
export const OUTPUT_DIMS: Record<(typeof NANODET_OUTPUTS)[number], number[]> = {
  cls_s8: [2704, 80],
  cls_s16: [676, 80],
  cls_s32: [169, 80],
  reg_s8: [2704, 44],
  reg_s16: [676, 44],
  reg_s32: [169, 44],
};

export interface ClientException {
  type: string;
  status: string | null;
  message: string;
  debug_details: string | null;
  traceback: string;
}
export type Attempt<T> = { ok: T } | { exception: ClientException };

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}
export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string | null;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}
export interface InferSummary {
  id: string;
  model_name: string;
  model_version: string;
  output_order: string[];
  outputs: Record<
    string,
    { datatype: string; shape: number[]; numpy_dtype: string; binary_data_size: number | null }
  >;
}
export interface StreamSummary {
  callbacks: number;
  in_order: ({ response: InferSummary } | { error: ClientException })[];
}
export interface ProtocolSummary {
  live: Attempt<boolean>;
  ready: Attempt<boolean>;
  server_metadata: Attempt<{ name: string; version: string; extensions: string[] }>;
  model_ready: Attempt<boolean>;
  model_ready_v1: Attempt<boolean>;
  unknown_model_ready: Attempt<boolean>;
  model_metadata: Attempt<ModelMetadata>;
  model_metadata_v1: Attempt<ModelMetadata>;
  model_config: Attempt<Record<string, unknown>>;
  infer: Record<string, Attempt<InferSummary>>;
  errors: Record<'unknown_model' | 'wrong_shape' | 'wrong_datatype', Attempt<unknown>>;
}
/** A `$duration_stat`, normalised (gRPC's JSON leaves zeros out and gives uint64 as strings). */
/** One `$model_stat` as get_inference_statistics returned it (Triton's shape, both clients alike). */
export type ModelStat = ModelStatJson;

export interface StatisticsSummary {
  http: Attempt<ModelStat[]>;
  http_v1: Attempt<ModelStat[]>;
  http_all: Attempt<ModelStat[]>;
  http_unknown_model: Attempt<unknown>;
  grpc: Attempt<ModelStat[]>;
  grpc_all: Attempt<ModelStat[]>;
  grpc_unknown_model: Attempt<unknown>;
}

export interface ClientSummary {
  versions: Record<string, string>;
  input_shape: number[];
  input_sha256: string;
  http: ProtocolSummary & { compressed_request: Record<string, Attempt<InferSummary>> };
  grpc: ProtocolSummary & {
    stream: Attempt<StreamSummary>;
    stream_errors: Attempt<StreamSummary>;
  };
  statistics: StatisticsSummary;
}

/** The value of a call that must have succeeded; otherwise fails with what the client raised. */
export function ok<T>(attempt: Attempt<T>, what: string): T {
  if ('ok' in attempt) return attempt.ok;
  const { status, message, traceback } = attempt.exception;
  throw new Error(`${what}: tritonclient raised [${status}] ${message}\n${traceback}`);
}

/** The exception of a call that must have failed. */
export function raised(attempt: Attempt<unknown>, what: string): ClientException {
  if ('exception' in attempt) return attempt.exception;
  throw new Error(`${what}: expected tritonclient to raise, got ${JSON.stringify(attempt)}`);
}

/** The version a pip requirements file pins for a package (extras ignored). */
export function pinnedVersion(requirementsFile: string, pkg: string): string | undefined {
  const line = readFileSync(requirementsFile, 'utf8')
    .split('\n')
    .find((entry) => entry.replace(/\[.*\]/, '').startsWith(`${pkg}==`));
  return line?.split('==')[1]?.trim();
}
