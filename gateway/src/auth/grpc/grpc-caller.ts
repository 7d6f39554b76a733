import { unauthenticated } from '../auth-errors';
import type { Caller } from '../caller';

const callers = new WeakMap<object, Caller>();

/** Remembers who a gRPC call is from (set by the guard before the handler runs). */
export function setGrpcCaller(call: object, caller: Caller): void {
  callers.set(call, caller);
}

/** The caller the guard authenticated for `call`; a handler without one refuses (fail closed). */
export function grpcCaller(call: object): Caller {
  const caller = callers.get(call);
  if (!caller) throw unauthenticated('authentication required');
  return caller;
}
