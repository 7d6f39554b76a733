import type { CallContext } from './call-context';
import type { InferenceBackend, InferRequest, InferResponse } from './inference-backend';
import type { ResolvedTarget } from './resolved-target';
import type { CallDurations } from './model-statistics';

/** What travels along a tensor call's work (batch → backend); no stage changes the request. */
export interface InferenceContext {
  request: InferRequest;
  /** Who calls and on what terms (caller, priority, images), from the front door. */
  call: CallContext;
  /** The version the call was routed to, with its metadata. */
  target: ResolvedTarget;
  backend: InferenceBackend;
  /**
   * Where the time of each call this request answers goes (one per call; a batch carries its
   * members'), for the statistics extension; empty for a shadow copy.
   */
  durations: readonly CallDurations[];
}

/**
 * One filter of the request path, Envoy-style: do your part, then call `next` (or refuse). `next`
 * runs the rest of the path with this context, or with the one given (the batch stage sends one
 * merged request on for many).
 */
export interface InferenceStage {
  readonly name: string;
  handle(
    context: InferenceContext,
    next: (context?: InferenceContext) => Promise<InferResponse>,
  ): Promise<InferResponse>;
}
