import { Global, Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { ServingReadiness } from './serving-readiness';

/** Liveness and readiness: every front door answers readiness from ServingReadiness. */
@Global()
@Module({
  controllers: [HealthController],
  providers: [ServingReadiness],
  exports: [ServingReadiness],
})
export class HealthModule {}
