import { Global, Module } from '@nestjs/common';
import { CALL_STATISTICS_REPORTS } from '../routing/call-statistics-reports';
import { CallStatistics } from './call-statistics';

/**
 * What each version's calls and shadow comparisons did: Prometheus series, and the reports the
 * routing watch sends the control plane (CALL_STATISTICS_REPORTS).
 */
@Global()
@Module({
  providers: [CallStatistics, { provide: CALL_STATISTICS_REPORTS, useExisting: CallStatistics }],
  exports: [CallStatistics, CALL_STATISTICS_REPORTS],
})
export class CallStatisticsModule {}
