import { GatewayError, type ErrorKind } from '../../errors/gateway-error';
import type { TritonEndpoint } from './endpoint-pool';
import { describeFailure, fromTritonError } from './triton-errors';

/**
 * Runs one model-control call (load, unload) on every endpoint at once: each Triton holds its own
 * copy of the loaded models, so a change that misses one leaves the endpoints serving different
 * things. Resolves when every endpoint did it; otherwise one error naming each endpoint that
 * failed and why, and those that succeeded. Endpoints are called directly, not through the pool:
 * Triton answers UNAVAILABLE for "not allowed in this control mode", which must not take a healthy
 * endpoint out.
 */
export async function onEveryEndpoint(
  endpoints: readonly TritonEndpoint[],
  what: string,
  timeoutMs: number,
  call: (endpoint: TritonEndpoint) => Promise<void>,
): Promise<void> {
  const outcomes = await Promise.allSettled(endpoints.map((endpoint) => call(endpoint)));
  const failures: { address: string; kind: ErrorKind; why: string }[] = [];
  const done: string[] = [];
  outcomes.forEach((outcome, index) => {
    const { address } = endpoints[index];
    if (outcome.status === 'fulfilled') {
      done.push(address);
      return;
    }
    const { kind } = fromTritonError(outcome.reason, address, timeoutMs);
    // Triton answers INTERNAL when it cannot load what the request names (no such folder): a
    // verdict on the request, not the gateway's failure.
    failures.push({
      address,
      kind: kind === 'internal' ? 'invalid_argument' : kind,
      why: describeFailure(outcome.reason),
    });
  });
  if (failures.length === 0) return;
  // Triton's verdict on the model (bad config: INVALID_ARGUMENT) says more than a lost connection.
  const verdict = failures.find(
    (failure) => failure.kind !== 'unavailable' && failure.kind !== 'deadline_exceeded',
  );
  const reasons = failures.map((failure) => `${failure.address}: ${failure.why}`).join('; ');
  const succeeded = done.length > 0 ? `; done on ${done.join(', ')}` : '';
  throw new GatewayError(
    (verdict ?? failures[0]).kind,
    `${what} failed on ${failures.length} of ${endpoints.length} Triton endpoint(s) (${reasons})${succeeded}`,
  );
}
