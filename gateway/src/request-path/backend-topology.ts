/**
 * How a backend serves one model version now, so bounds follow what is really there: admission
 * lets in enough calls to keep the healthy endpoints' instances busy, batching leaves a model to a
 * backend that batches it itself.
 */
export interface BackendTopology {
  /** Endpoints serving the version now (healthy Triton servers; 1 embedded); 0 when none is. */
  healthyEndpoints: number;
  /** Model instances on each endpoint (its instance_group counts, at least 1). */
  instancesPerEndpoint: number;
  /** The backend runs elsewhere (Triton): a second batch may wait there while one runs. */
  remote: boolean;
  /** The backend forms batches itself (Triton's dynamic batcher for this model). */
  batchesItself: boolean;
}
