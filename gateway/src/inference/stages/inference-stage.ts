import type {
  InferenceBackend,
  InferRequest,
  InferResponse,
  ModelMetadata,
} from '../inference-backend';

/** What travels along the request path; stages may enrich it (resolved version, metadata). */
export interface InferenceContext {
  request: InferRequest;
  /** Set by the validate stage: the model's metadata and the concrete version served. */
  metadata?: ModelMetadata;
  backend: InferenceBackend;
}

/** One filter of the request path, Envoy-style: do your part, then call `next` (or refuse). */
export interface InferenceStage {
  readonly name: string;
  handle(context: InferenceContext, next: () => Promise<InferResponse>): Promise<InferResponse>;
}
