import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { CredentialCheckObserver } from '@auth';

/** Credential checks as Prometheus series (labels from fixed vocabularies only). */
export function credentialCheckMetrics(metrics: GatewayMetrics): CredentialCheckObserver {
  return {
    refused: (credential, reason) => metrics.authFailures.inc({ credential, reason }),
    hashChecked: (matched) =>
      metrics.apiKeyHashChecks.inc({ result: matched ? 'match' : 'mismatch' }),
    hashSlots: (running, waiting) => {
      metrics.apiKeyHashChecksRunning.set(running);
      metrics.apiKeyHashChecksWaiting.set(waiting);
    },
  };
}
