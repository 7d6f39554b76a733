import type { Deadline } from '@grpc/grpc-js';
import { deadlineIn, type CallBounds } from './call-bounds';

/** What every grpc-js server call (unary or stream) offers; grpc-js does not export the type. */
export interface GrpcServerCall {
  cancelled: boolean;
  getDeadline(): Deadline;
  once(event: 'cancelled', listener: () => void): unknown;
}

/**
 * The deadline the client sent as `grpc-timeout` (grpc-js reports Infinity for none) and a signal
 * aborted when the client cancels the call or goes away. For a stream both bound every request on
 * it.
 */
export function grpcCallBounds(call: GrpcServerCall): CallBounds {
  const controller = new AbortController();
  const deadline = deadlineOf(call);
  // grpc-js also reports its own deadline timer as a cancellation (a tick before ours fires);
  // leave that one to the deadline, so it is answered and counted as a deadline, not a cancel.
  const cancel = (): void => {
    if (deadline === undefined || Date.now() < deadline) controller.abort();
  };
  if (call.cancelled) cancel();
  else call.once('cancelled', cancel);
  return { deadline, signal: controller.signal };
}

function deadlineOf(call: GrpcServerCall): number | undefined {
  const deadline = call.getDeadline();
  const epochMs = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(epochMs)) return undefined;
  const now = Date.now();
  return epochMs > now ? deadlineIn(epochMs - now, now) : epochMs;
}
