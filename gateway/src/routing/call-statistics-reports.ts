import type { CallStatisticsReport } from '@contracts/generated/control/v1/routing_pb';

/**
 * What the routing watch sends the control plane every GATEWAY_STATISTICS_REPORT_MS: the call
 * statistics since the previous report. Provided (optionally) under CALL_STATISTICS_REPORTS by
 * the call-statistics module; without a provider no statistics are sent.
 */
export interface CallStatisticsReports {
  /** The statistics since the previous drain, and a new window begun; undefined: nothing to send. */
  drain(): CallStatisticsReport | undefined;
}

export const CALL_STATISTICS_REPORTS = Symbol('CALL_STATISTICS_REPORTS');
