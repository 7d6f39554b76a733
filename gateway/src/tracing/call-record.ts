import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import type { CallTrace, OpenedStage, TraceHeaders } from '../request-path/call-trace';
import { hopHeaders } from './trace-context';

/** A span of the call and the tracer its stages' spans come from; absent when tracing is off. */
export interface CallSpan {
  tracer: Tracer;
  span: Span;
}

class OpenedSpan implements OpenedStage {
  constructor(
    readonly span: Span,
    readonly headers: TraceHeaders,
  ) {}
}

/**
 * One call's request id, stage times, model and version (the access log line) and, when tracing,
 * its span. Stage spans are made when the stage ends, with its start time, so a stage costs no
 * span object while it runs and nothing at all but a number here when tracing is off.
 */
export class CallRecord implements CallTrace {
  readonly stagesMs: Record<string, number> = {};
  /** When the call arrived (`performance.now()`). */
  readonly startedAt = performance.now();
  model: string | undefined;
  version: string | undefined;
  kserveId: string | undefined;
  /** The parent context of stage spans: the call's span. */
  private readonly context: Context | undefined;

  constructor(
    readonly requestId: string,
    /** The caller's trace context (`traceparent`), when it sent a valid one. */
    readonly parent: SpanContext | undefined,
    private readonly traced: CallSpan | undefined,
  ) {
    this.context = traced ? trace.setSpan(ROOT_CONTEXT, traced.span) : undefined;
  }

  /** The call's span, when tracing. */
  get span(): Span | undefined {
    return this.traced?.span;
  }

  routed(model: string, version?: string): void {
    this.model = model;
    if (version !== undefined) this.version = version;
    if (this.traced) {
      this.traced.span.setAttribute('gateway.model', model);
      if (version !== undefined) this.traced.span.setAttribute('gateway.model_version', version);
    }
  }

  stageEnded(name: string, startedAt: number, failure?: unknown, opened?: OpenedStage): void {
    const now = performance.now();
    this.stagesMs[name] = Math.round((now - startedAt) * 100) / 100;
    if (!this.traced) return;
    const span =
      opened instanceof OpenedSpan
        ? opened.span
        : this.traced.tracer.startSpan(
            name,
            { startTime: performance.timeOrigin + startedAt },
            this.context,
          );
    if (failure !== undefined)
      span.setStatus({ code: SpanStatusCode.ERROR, message: kindOf(failure) });
    span.end(performance.timeOrigin + now);
  }

  openStage(name: string, startedAt: number): OpenedStage | undefined {
    if (this.traced) {
      const span = this.traced.tracer.startSpan(
        name,
        { kind: SpanKind.CLIENT, startTime: performance.timeOrigin + startedAt },
        this.context,
      );
      const own = span.spanContext();
      return new OpenedSpan(span, hopHeaders(own, own.spanId));
    }
    // Not tracing, but the caller's trace goes on to the backend with a span id for this hop.
    return this.parent ? { headers: hopHeaders(this.parent) } : undefined;
  }
}

/** The error's kind (a GatewayError's `kind`, else its class name): never its message, which may quote input. */
function kindOf(failure: unknown): string {
  if (failure !== null && typeof failure === 'object') {
    const kind = (failure as { kind?: unknown }).kind;
    if (typeof kind === 'string') return kind;
    return (failure as { name?: unknown }).name === undefined
      ? 'error'
      : String((failure as { name: unknown }).name);
  }
  return 'error';
}
