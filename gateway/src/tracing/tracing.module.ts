import { Global, Module } from '@nestjs/common';
import { AccessLog } from '../logging/access-log';
import { CallTracer } from './call-tracer';
import { FollowedCalls } from './followed-calls';

/** Following a call: request ids, the access log, W3C trace context and OpenTelemetry spans. */
@Global()
@Module({
  providers: [CallTracer, AccessLog, FollowedCalls],
  exports: [CallTracer, FollowedCalls],
})
export class TracingModule {}
