import { randomBytes } from 'node:crypto';
import { type SpanContext } from '@opentelemetry/api';
import { parseTraceParent, TraceState } from '@opentelemetry/core';
import type { TraceHeaders } from '../request-path/call-trace';

/** Longest `tracestate` passed on (W3C: 32 members of at most 256 characters; 512 is what most keep). */
const MAX_TRACESTATE = 512;

/**
 * The caller's W3C trace context, when its `traceparent` is valid (OpenTelemetry's own parser:
 * version, ids not all zero, flags); an invalid one is ignored, as the W3C spec asks, so the call
 * starts a trace of its own. `tracestate` is kept only beside a valid parent, and only when it parses.
 */
export function callerTraceContext(
  traceparent: string | undefined,
  tracestate: string | undefined,
): SpanContext | undefined {
  if (traceparent === undefined) return undefined;
  const parsed = parseTraceParent(traceparent);
  if (!parsed) return undefined;
  // From another process: samplers treat a remote parent's decision as the caller's.
  const parent: SpanContext = { ...parsed, isRemote: true };
  if (tracestate !== undefined && tracestate.length <= MAX_TRACESTATE) {
    const state = new TraceState(tracestate);
    if (state.serialize() !== '') parent.traceState = state;
  }
  return parent;
}

/** `traceparent` (and `tracestate`) naming `spanId` as the parent of the next hop. */
export function hopHeaders(context: SpanContext, spanId = newSpanId()): TraceHeaders {
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
  const state = context.traceState?.serialize();
  return {
    traceparent: `00-${context.traceId}-${spanId}-${flags}`,
    ...(state ? { tracestate: state } : {}),
  };
}

/** A random 8-byte span id: the gateway's hop when it records no span of its own. */
function newSpanId(): string {
  return randomBytes(8).toString('hex');
}
