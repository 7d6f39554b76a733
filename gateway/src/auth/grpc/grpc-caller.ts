import type { Metadata } from '@grpc/grpc-js';
import { unauthenticated } from '../auth-errors';
import type { Caller } from '@auth';

/**
 * Who each gRPC call is from, keyed by its metadata object: the authentication interceptor sees
 * only the metadata, which grpc-js then hands, the same object, to the handler's call.
 */
const callers = new WeakMap<Metadata, Caller>();

/** Remembers who the call with `metadata` is from (set by authentication before the handler runs). */
export function setGrpcCaller(metadata: Metadata, caller: Caller): void {
  callers.set(metadata, caller);
}

/** The caller authenticated for the call with `metadata`, if any (the access log's tenant). */
export function grpcCallerOf(metadata: Metadata): Caller | undefined {
  return callers.get(metadata);
}

/** The caller authenticated for `call`; a handler without one refuses (fail closed). */
export function grpcCaller(call: { metadata: Metadata }): Caller {
  const caller = callers.get(call.metadata);
  if (!caller) throw unauthenticated('authentication required');
  return caller;
}
