import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { BreakerState } from './breaker-settings';
import type { BreakerObserver } from './endpoint-breaker';

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export type RetryReason = 'unavailable' | 'breaker_open';

/** What a backend reports about its breakers and retries. */
export interface BackendProtectionObserver extends BreakerObserver {
  /** A request refused at once: every endpoint that could serve it had its breaker open. */
  fastFail(model: string): void;
  retried(reason: RetryReason): void;
  retryBudgetExhausted(): void;
}

export const NO_PROTECTION_OBSERVER: BackendProtectionObserver = {
  created: () => {},
  transition: () => {},
  fastFail: () => {},
  retried: () => {},
  retryBudgetExhausted: () => {},
};

/** The Prometheus side of one backend's breakers and retries. */
export function breakerMetrics(
  metrics: GatewayMetrics,
  backend: string,
): BackendProtectionObserver {
  return {
    created: (endpoint) => metrics.breakerState.set({ backend, endpoint }, STATE_VALUE.closed),
    transition: (endpoint, from, to) => {
      metrics.breakerState.set({ backend, endpoint }, STATE_VALUE[to]);
      metrics.breakerTransitions.inc({ backend, endpoint, from, to });
    },
    fastFail: (model) => metrics.breakerFastFails.inc({ backend, model }),
    retried: (reason) => metrics.backendRetries.inc({ backend, reason }),
    retryBudgetExhausted: () => metrics.retryBudgetExhausted.inc({ backend }),
  };
}
