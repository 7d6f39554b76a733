import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallRecord } from '../tracing/call-record';
import type { FollowedCalls } from '../tracing/followed-calls';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's id, stage times and trace (tracing/call-record.ts); set on arrival. */
    callRecord: CallRecord | null;
  }
}

/** Records whose line is written (the record stays on the request for later log lines). */
const ended = new WeakSet<CallRecord>();

/** What nginx and Envoy log for a request whose caller went away before the answer. */
const CLIENT_CLOSED = 499;

/**
 * Follows every HTTP request, refused ones included: on arrival (the first onRequest hook, before
 * authentication) its record is made from `x-request-id`, `traceparent` and `tracestate`, and
 * `x-request-id` is set on the answer, whatever answers it (a route, an error, the auth hook);
 * once answered (or abandoned by its caller) its span ends and its access log line is written.
 */
export function registerCallFollowing(fastify: FastifyInstance, calls: FollowedCalls): void {
  fastify.decorateRequest('callRecord', null);
  fastify.addHook('onRequest', (request, reply, done) => {
    const record = calls.start({
      protocol: 'http',
      method: request.method,
      route: routeOf(request),
      requestId: first(request.headers['x-request-id']),
      traceparent: first(request.headers.traceparent),
      tracestate: first(request.headers.tracestate),
    });
    request.callRecord = record;
    // The model a route names, for a call refused before the pipeline (which records the routed one).
    const model = (request.params as { model?: unknown } | undefined)?.model;
    if (typeof model === 'string') record.routed(model);
    reply.header('x-request-id', record.requestId);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    end(calls, request, reply, reply.statusCode);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    end(calls, request, undefined, CLIENT_CLOSED);
    done();
  });
}

function end(
  calls: FollowedCalls,
  request: FastifyRequest,
  reply: FastifyReply | undefined,
  status: number,
): void {
  const record = request.callRecord;
  // Once: an aborted request may still be answered (onResponse) after onRequestAbort.
  if (!record || ended.has(record)) return;
  ended.add(record);
  calls.end(record, {
    protocol: 'http',
    method: request.method,
    route: routeOf(request),
    status,
    ...(request.caller ? { tenant: request.caller.tenant } : {}),
    durationMs: performance.now() - record.startedAt,
    bytesIn: bytesIn(request),
    ...(reply ? { bytesOut: numeric(reply.getHeader('content-length')) } : {}),
  });
}

/** The route template (`/v2/models/:model/infer`), never the URL: a query may carry secrets. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

/** The body's bytes as sent (before any content-encoding is undone). */
function bytesIn(request: FastifyRequest): number | undefined {
  return numeric(request.headers['content-length']);
}

function numeric(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0
    ? number
    : undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
