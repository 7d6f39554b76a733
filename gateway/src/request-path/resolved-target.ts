import type { ModelMetadata } from './inference-backend';

/**
 * A model version the backend serves, with its metadata: what a call is routed to. Resolved once
 * per call (the route stage) and read by every later step; never written back into the request.
 */
export interface ResolvedTarget {
  readonly model: string;
  readonly version: string;
  readonly metadata: ModelMetadata;
}
