import type { CallerTerms } from '../../breakers/breaker-settings';
import type { BackendProtectionObserver, RetryReason } from '../../breakers/breaker-metrics';
import { BreakerRefusal } from '../../breakers/endpoint-breaker';
import { callerDeadlinePassed } from '../../breakers/endpoint-failure';
import type { RetryBudget } from '../../breakers/retry-budget';
import { GatewayError } from '../../errors/gateway-error';
import type { EndpointPool, TritonEndpoint } from './endpoint-pool';

/**
 * Inference calls to the Triton pool under each endpoint's circuit breaker, with at most one retry
 * on another endpoint. A retry happens only when it is safe and cheap: the failure was UNAVAILABLE
 * (Triton could not take the call: connection refused or dropped, model not ready there, or the
 * endpoint's breaker refused it) — never a timeout, an internal error or a verdict on the request;
 * the caller is still waiting; another endpoint admits calls; and the retry budget has room, so
 * retries never add more than a bounded share of load to backends that are already struggling.
 * KServe inference has no side effects, so a call cut off mid-flight costs at most one duplicate
 * execution, which the budget bounds as well.
 */
export class GuardedCalls {
  constructor(
    private readonly pool: EndpointPool,
    private readonly budget: RetryBudget,
    private readonly observer: BackendProtectionObserver,
  ) {}

  async call<T>(
    model: string,
    terms: CallerTerms,
    run: (endpoint: TritonEndpoint) => Promise<T>,
  ): Promise<T> {
    if (callerDeadlinePassed(terms)) {
      throw new GatewayError(
        'deadline_exceeded',
        `the request's deadline passed before it was sent to Triton`,
      );
    }
    this.budget.recordRequest();
    const first = this.pool.pickAdmitting(model);
    try {
      return await this.attempt(first, terms, run);
    } catch (error) {
      const reason = retryReason(error, terms);
      if (reason === undefined) throw error;
      const second = this.pool.alternativeTo(first, model);
      if (second === undefined) throw this.withRetryAfter(error);
      if (!this.budget.tryRetry()) {
        this.observer.retryBudgetExhausted();
        throw this.withRetryAfter(error);
      }
      this.observer.retried(reason);
      return this.attempt(second, terms, run).catch((failure: unknown) => {
        throw this.withRetryAfter(failure);
      });
    }
  }

  /** An unavailable failure tells the caller when an endpoint may take calls again. */
  private withRetryAfter(error: unknown): unknown {
    if (!(error instanceof GatewayError) || error.kind !== 'unavailable') return error;
    if (error.hints.retryAfterMs !== undefined) return error;
    const retryAfterMs = this.pool.nextChanceMs();
    if (retryAfterMs <= 0) return error;
    return new GatewayError(error.kind, error.message, { ...error.hints, retryAfterMs });
  }

  private async attempt<T>(
    endpoint: TritonEndpoint,
    terms: CallerTerms,
    run: (endpoint: TritonEndpoint) => Promise<T>,
  ): Promise<T> {
    try {
      return await endpoint.breaker.run(() => this.pool.callOn(endpoint, run), terms);
    } catch (error) {
      // The gRPC deadline was the caller's, not the gateway's timeout: say so.
      if (
        error instanceof GatewayError &&
        error.kind === 'deadline_exceeded' &&
        callerDeadlinePassed(terms)
      ) {
        throw new GatewayError(
          'deadline_exceeded',
          `the request's deadline passed before Triton endpoint ${endpoint.address} answered`,
        );
      }
      throw error;
    }
  }
}

/** Why a failed call may be retried elsewhere, or undefined when it may not. */
function retryReason(error: unknown, terms: CallerTerms): RetryReason | undefined {
  if (terms.signal?.aborted || callerDeadlinePassed(terms)) return undefined;
  if (error instanceof BreakerRefusal) return 'breaker_open';
  if (error instanceof GatewayError && error.kind === 'unavailable') return 'unavailable';
  return undefined;
}
