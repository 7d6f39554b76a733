import { status as GrpcStatus } from '@grpc/grpc-js';
import type { handleUnaryCall, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { MalformedMessage } from '@contracts/grpc/service-definition';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import { decoded, toServiceError } from './grpc-errors';
import { grpcCallRecord } from './grpc-call-trace.interceptor';

/**
 * Adapts an async function to a grpc-js unary handler: malformed requests become INVALID_ARGUMENT,
 * failures map to their status, and every call is timed like an HTTP request.
 */
export function unaryHandler<Req, Res>(
  metrics: GatewayMetrics,
  route: string,
  handle: (request: Req, call: ServerUnaryCall<Req | MalformedMessage, Res>) => Res | Promise<Res>,
  labels: (request: Req) => { model?: string; version?: string } = () => ({}),
): handleUnaryCall<Req | MalformedMessage, Res> {
  return (call, callback: sendUnaryData<Res>) => {
    const started = process.hrtime.bigint();
    metrics.inFlight.inc({ protocol: 'grpc' });
    let model = '';
    let version = '';
    const finish = (status: number, code: GrpcStatus): void => {
      metrics.inFlight.dec({ protocol: 'grpc' });
      // The version the call was routed to, when it got that far.
      const served = grpcCallRecord(call.metadata)?.version ?? version;
      metrics.observeRequest(
        { protocol: 'grpc', route, model, version: served, status, code: GrpcStatus[code] },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    };
    Promise.resolve()
      .then(() => {
        const request = decoded(call.request);
        ({ model = '', version = '' } = labels(request));
        return handle(request, call);
      })
      .then(
        (response) => {
          finish(200, GrpcStatus.OK);
          callback(null, response);
        },
        (error: unknown) => {
          const serviceError = toServiceError(error);
          finish(httpEquivalent(serviceError.code), serviceError.code);
          callback(serviceError);
        },
      );
  };
}

/** Only the class matters for the outcome label: client errors vs server errors. */
function httpEquivalent(code: number): number {
  // UNKNOWN, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNIMPLEMENTED (501 over HTTP), INTERNAL,
  // UNAVAILABLE, DATA_LOSS
  const serverSide = [2, 4, 8, 12, 13, 14, 15];
  return serverSide.includes(code) ? 500 : 400;
}
