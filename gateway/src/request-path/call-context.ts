import type { Caller } from './caller';
import type { CallTrace } from './call-trace';

/** Real-time traffic (camera streams, interactive calls) is shed last; bulk first. */
export type Priority = 'realtime' | 'bulk';

/**
 * Who is calling and on what terms, set by the front door (REST or gRPC) for every call into the
 * request path; the stages read it (authorize, rate-limit, admit) without knowing the protocol.
 */
export interface CallContext {
  caller: Caller;
  priority: Priority;
  /** Images the call carries (a tensor call counts its batch size): rate limits count images too. */
  images: number;
  /**
   * A request header (REST) or metadata value (gRPC) by lower-case name, for the route stage's
   * sticky key (such as `x-camera-id`); the first value when there are several.
   */
  header?(name: string): string | undefined;
  /**
   * A call the gateway makes itself as part of a call already authorised and charged (a camera
   * frame's re-identification embeddings): authorize and rate-limit let it through; routing and
   * admission treat it like any call.
   */
  companion?: boolean;
  /** Its request id, stage times and trace (access log, tracing); absent in tests built by hand. */
  trace?: CallTrace;
}
