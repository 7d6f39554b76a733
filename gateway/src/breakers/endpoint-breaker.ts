import { Logger } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import { GatewayError, unavailable } from '../errors/gateway-error';
import type { BreakerSettings, BreakerState, CallerTerms } from './breaker-settings';
import { countsAgainstEndpoint } from './endpoint-failure';

/** Where breaker state goes besides the log: the metrics (breaker-metrics.ts). */
export interface BreakerObserver {
  /** A breaker was created, closed. */
  created(endpoint: string): void;
  transition(endpoint: string, from: BreakerState, to: BreakerState): void;
}

type Task = () => Promise<unknown>;

/** A call refused by an open breaker: it never reached the endpoint, so it is safe to retry. */
export class BreakerRefusal extends GatewayError {
  constructor(message: string, retryAfterMs: number) {
    super('unavailable', message, { retryAfterMs });
  }
}

const NO_OBSERVER: BreakerObserver = { created: () => {}, transition: () => {} };

/**
 * The circuit breaker of one backend endpoint (opossum): it opens when more than the threshold
 * share of calls in the rolling window failed in a way that says the endpoint is sick (see
 * endpoint-failure.ts), refuses calls at once while open, and after the reset timeout lets one
 * probe call through (half-open): the probe succeeding closes it, failing opens it again.
 * Callers that choose among endpoints skip those that do not `admit` calls.
 */
export class EndpointBreaker {
  private readonly logger = new Logger(EndpointBreaker.name);
  private readonly breaker: CircuitBreaker<[Task, CallerTerms], unknown>;
  private current: BreakerState = 'closed';
  private openedAt = 0;
  private lastFailure = 'none';

  /**
   * @param endpoint what metrics call it (`127.0.0.1:8001`, `embedded`)
   * @param label what messages and logs call it (`Triton endpoint 127.0.0.1:8001`)
   */
  constructor(
    readonly endpoint: string,
    readonly label: string,
    private readonly settings: BreakerSettings,
    private readonly observer: BreakerObserver = NO_OBSERVER,
  ) {
    this.breaker = new CircuitBreaker((task: Task, _terms: CallerTerms) => task(), {
      name: endpoint,
      // Calls carry their own deadline (gRPC deadline), so no second timer here: a call that runs
      // out of it fails with deadline_exceeded, which counts as a failure.
      timeout: false,
      errorThresholdPercentage: settings.errorThresholdPercent,
      volumeThreshold: settings.volumeThreshold,
      rollingCountTimeout: settings.windowMs,
      rollingCountBuckets: 10,
      resetTimeout: settings.resetTimeoutMs,
      // Latency percentiles would be re-sorted on every failure; the metrics have latencies.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      // opossum passes the call's arguments after the error; a filtered error counts as a success.
      errorFilter: (error: unknown, _task?: Task, terms?: CallerTerms) =>
        !countsAgainstEndpoint(error, terms),
    });
    this.breaker.on('failure', (error: unknown) => {
      this.lastFailure = error instanceof Error ? error.message : String(error);
    });
    this.breaker.on('open', () => {
      this.openedAt = Date.now();
      this.moveTo('open');
    });
    this.breaker.on('halfOpen', () => this.moveTo('half_open'));
    this.breaker.on('close', () => this.moveTo('closed'));
    observer.created(endpoint);
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Whether a call may go now: closed, or half-open with its one probe not yet sent. */
  get admits(): boolean {
    return this.breaker.closed || (this.breaker.halfOpen && this.breaker.pendingClose);
  }

  /** How long until this breaker may admit a call again; 0 while it admits. */
  retryAfterMs(now: number = Date.now()): number {
    if (this.admits) return 0;
    if (this.breaker.opened) {
      return Math.max(1, this.openedAt + this.settings.resetTimeoutMs - now);
    }
    // Half-open with the probe in flight: its answer is due shortly, and a second is the least
    // an HTTP Retry-After can say anyway.
    return Math.min(1000, this.settings.resetTimeoutMs);
  }

  /** The breaker's state in a few words, for error messages. */
  describe(now: number = Date.now()): string {
    if (this.breaker.opened) {
      return `circuit breaker open (last failure: ${this.lastFailure}), next probe in ${this.retryAfterMs(now)} ms`;
    }
    if (this.breaker.halfOpen && !this.breaker.pendingClose) {
      return 'circuit breaker half-open, probe in flight';
    }
    return `circuit breaker ${this.current.replace('_', '-')}`;
  }

  /**
   * Runs one call of this endpoint under the breaker. While it is open (or its probe is out) the
   * call is refused at once with unavailable and a retry-after; failures the caller caused
   * (`terms`) never count against the endpoint.
   */
  async run<T>(task: () => Promise<T>, terms: CallerTerms = {}): Promise<T> {
    try {
      return (await this.breaker.fire(task, terms)) as T;
    } catch (error) {
      if (error instanceof Error && CircuitBreaker.isOurError(error)) throw this.refusal();
      throw error;
    }
  }

  /** Opens the breaker at once: the endpoint cannot be reached at all, no statistics needed. */
  trip(reason: string): void {
    if (this.breaker.isShutdown) return;
    this.lastFailure = reason;
    this.breaker.open();
  }

  /** The error a refused call gets. */
  refusal(now: number = Date.now()): GatewayError {
    if (this.breaker.isShutdown) return unavailable(`${this.label} is shut down`);
    return new BreakerRefusal(
      `${this.label} refused the call: ${this.describe(now)}`,
      this.retryAfterMs(now),
    );
  }

  /** Stops the breaker's timers. */
  close(): void {
    this.breaker.shutdown();
  }

  private moveTo(next: BreakerState): void {
    const from = this.current;
    if (from === next) return;
    this.current = next;
    this.observer.transition(this.endpoint, from, next);
    const why =
      next === 'open'
        ? `last failure: ${this.lastFailure}; next probe in ${this.settings.resetTimeoutMs} ms`
        : next === 'half_open'
          ? 'the next call is a probe'
          : 'a call succeeded';
    this.logger.warn(`circuit breaker of ${this.label}: ${from} → ${next} (${why})`);
  }
}
