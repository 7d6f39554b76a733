import { Inject, Injectable, Logger } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import type { CallRecord } from '../tracing/call-record';

/** How a call ended, as its front door saw it: what its access log line says beside the record. */
export interface CallOutcome {
  protocol: 'http' | 'grpc';
  /** HTTP method; absent for gRPC. */
  method?: string;
  /** The route template or gRPC method path, never the URL (a query may carry secrets). */
  route: string;
  /** HTTP status, or the gRPC status code. */
  status: number;
  tenant?: string;
  durationMs: number;
  /** Body or message bytes received and sent, where the front door knows them. */
  bytesIn?: number;
  bytesOut?: number;
  /** A stream: messages received and sent. */
  messagesIn?: number;
  messagesOut?: number;
}

/** Longest caller-chosen KServe request `id` a line repeats. */
const MAX_KSERVE_ID = 128;

/**
 * One JSON line per call (GATEWAY_ACCESS_LOG), written through the gateway's logger (so the same
 * redaction runs on it) at info level, context `AccessLog`, message `call`: request id, trace id,
 * tenant, protocol, route template, model, resolved version, status, total and per-stage
 * milliseconds, bytes. Built from fields the call already holds: no work per tensor element, and
 * no credential is ever a field of it.
 */
@Injectable()
export class AccessLog {
  private readonly logger = new Logger('AccessLog');
  private readonly enabled: boolean;

  constructor(@Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'tracing'>) {
    this.enabled = config.tracing.accessLog;
  }

  write(record: CallRecord, outcome: CallOutcome): void {
    if (!this.enabled) return;
    const traceId = record.span?.spanContext().traceId ?? record.parent?.traceId;
    this.logger.log({
      msg: 'call',
      requestId: record.requestId,
      ...(record.kserveId !== undefined && { kserveId: record.kserveId.slice(0, MAX_KSERVE_ID) }),
      ...(traceId !== undefined && { traceId }),
      tenant: outcome.tenant ?? null,
      protocol: outcome.protocol,
      ...(outcome.method !== undefined && { method: outcome.method }),
      route: outcome.route,
      model: record.model ?? null,
      version: record.version ?? null,
      status: outcome.status,
      durationMs: Math.round(outcome.durationMs * 100) / 100,
      stagesMs: record.stagesMs,
      ...(outcome.bytesIn !== undefined && { bytesIn: outcome.bytesIn }),
      ...(outcome.bytesOut !== undefined && { bytesOut: outcome.bytesOut }),
      ...(outcome.messagesIn !== undefined && {
        messagesIn: outcome.messagesIn,
        messagesOut: outcome.messagesOut,
      }),
    });
  }
}
