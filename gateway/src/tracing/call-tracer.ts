import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { requestIdFrom } from '@logging';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import type { CallOutcome } from '../logging/access-log';
import { CallRecord } from './call-record';
import { callerTraceContext } from './trace-context';

/** What a front door knows of a call when it arrives. */
export interface CallArrival {
  protocol: 'http' | 'grpc';
  /** The route template (HTTP) or the gRPC method path: never a URL with its query. */
  route: string;
  /** HTTP method; absent for gRPC. */
  method?: string;
  requestId: string | undefined;
  traceparent: string | undefined;
  tracestate: string | undefined;
}

/** gRPC codes OpenTelemetry counts as a server's failure: UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS. */
const GRPC_SERVER_FAULTS: ReadonlySet<number> = new Set([2, 4, 12, 13, 14, 15]);

function serverFault({ protocol, status }: CallOutcome): boolean {
  return protocol === 'http' ? status >= 500 : GRPC_SERVER_FAULTS.has(status);
}

/**
 * Starts each call's record (request id, the caller's trace context, the call's span) and ends
 * its span. Tracing is off unless GATEWAY_OTLP_ENDPOINT is set: then no OpenTelemetry SDK is
 * started at all and a record holds no span. Spans go to the OTLP/HTTP endpoint in batches
 * (BatchSpanProcessor: exporting never waits on a call); what is still queued is flushed at
 * shutdown.
 */
@Injectable()
export class CallTracer implements OnApplicationShutdown {
  private readonly logger = new Logger('Tracing');
  private readonly provider: TracerProvider | undefined;
  private readonly tracer: Tracer | undefined;

  constructor(@Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'tracing'>) {
    const otlp = config.tracing.otlp;
    if (!otlp) return;
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': otlp.serviceName }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(otlp.sampleRatio) }),
      spanProcessors: [
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: otlp.endpoint }) }),
      ],
    });
    this.tracer = this.provider.getTracer('gateway');
    const { origin, pathname } = new URL(otlp.endpoint);
    this.logger.log(
      `tracing: spans of ${otlp.sampleRatio * 100}% of calls to ${origin}${pathname} as '${otlp.serviceName}'`,
    );
  }

  get tracing(): boolean {
    return this.tracer !== undefined;
  }

  start(arrival: CallArrival): CallRecord {
    const requestId = requestIdFrom(arrival.requestId);
    const parent = callerTraceContext(arrival.traceparent, arrival.tracestate);
    if (!this.tracer) return new CallRecord(requestId, parent, undefined);
    const attributes: Attributes = { 'gateway.request_id': requestId };
    if (arrival.protocol === 'http') {
      attributes['http.request.method'] = arrival.method;
      attributes['http.route'] = arrival.route;
    } else {
      attributes['rpc.system'] = 'grpc';
      attributes['rpc.method'] = arrival.route;
    }
    const span = this.tracer.startSpan(
      arrival.method ? `${arrival.method} ${arrival.route}` : arrival.route,
      { kind: SpanKind.SERVER, attributes },
      parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
    );
    return new CallRecord(requestId, parent, { tracer: this.tracer, span });
  }

  /** Ends the call's span with its answer. */
  finish(record: CallRecord, answer: CallOutcome): void {
    const span = record.span;
    if (!span) return;
    if (answer.protocol === 'http') {
      span.setAttribute('http.response.status_code', answer.status);
    } else {
      span.setAttribute('rpc.grpc.status_code', answer.status);
    }
    if (answer.tenant !== undefined) span.setAttribute('gateway.tenant', answer.tenant);
    if (serverFault(answer)) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }

  /** Sends what is still queued; tests read the receiver after this. */
  async flush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.provider?.shutdown().catch((error: unknown) => {
      this.logger.warn(`spans not exported at shutdown: ${String(error)}`);
    });
  }
}
