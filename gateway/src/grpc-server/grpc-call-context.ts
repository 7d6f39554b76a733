import type { Metadata } from '@grpc/grpc-js';
import { grpcCaller } from '../auth/grpc/grpc-caller';
import type { CallContext } from '../request-path/call-context';
import { parsePriority } from '../inference/priority';
import { grpcCallRecord } from './grpc-call-trace.interceptor';

/** The call context of a gRPC call: the authenticated caller, `x-priority`, images carried. */
export function grpcCallContext(call: { metadata: Metadata }, images: number): CallContext {
  const priority = call.metadata
    .get('x-priority')
    .filter((value): value is string => typeof value === 'string');
  const trace = grpcCallRecord(call.metadata);
  return {
    caller: grpcCaller(call),
    priority: parsePriority(priority, 'metadata'),
    images,
    ...(trace ? { trace } : {}),
    header: (name) => {
      const value = call.metadata.get(name)[0];
      return typeof value === 'string' ? value : undefined;
    },
  };
}
