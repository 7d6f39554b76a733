import { Injectable } from '@nestjs/common';
import { AccessLog, type CallOutcome } from '../logging/access-log';
import type { CallRecord } from './call-record';
import { CallTracer, type CallArrival } from './call-tracer';

/**
 * What the front doors call at each call's start and end: its record (request id, trace context,
 * span) when it arrives; its span ended and its access log line written once it answered.
 */
@Injectable()
export class FollowedCalls {
  constructor(
    private readonly tracer: CallTracer,
    private readonly accessLog: AccessLog,
  ) {}

  start(arrival: CallArrival): CallRecord {
    return this.tracer.start(arrival);
  }

  end(record: CallRecord, outcome: CallOutcome): void {
    this.tracer.finish(record, outcome);
    this.accessLog.write(record, outcome);
  }
}
