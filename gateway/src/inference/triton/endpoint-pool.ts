import { Logger } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { DEFAULT_BREAKER_SETTINGS, type BreakerSettings } from '../../breakers/breaker-settings';
import {
  NO_PROTECTION_OBSERVER,
  type BackendProtectionObserver,
} from '../../breakers/breaker-metrics';
import { EndpointBreaker } from '../../breakers/endpoint-breaker';
import { GatewayError } from '../../errors/gateway-error';
import {
  eligibleFor,
  pickPowerOfTwo,
  type RandomSource,
  type SelectableEndpoint,
} from './endpoint-selection';
import type { TritonClient } from './triton-client';
import { describeFailure, fromTritonError, isServiceError } from './triton-errors';

/** One Triton server as the pool sees it: its client and what its health checks last found. */
export class TritonEndpoint implements SelectableEndpoint {
  healthy = false;
  outstanding = 0;
  readyModels: ReadonlySet<string> = new Set();
  /** Why it is unhealthy, for error messages and logs. */
  lastFailure = 'not checked yet';
  /** Bumped when a call fails with UNAVAILABLE, so a health check begun before cannot undo it. */
  generation = 0;
  /** Health checks in a row that ran out of time (a busy server, not necessarily a dead one). */
  slowChecks = 0;

  constructor(
    readonly client: TritonClient,
    /** Guards inference calls; discovery and health checks go around it. */
    readonly breaker: EndpointBreaker,
  ) {}

  get address(): string {
    return this.client.address;
  }
}

/**
 * Health checks in a row that must time out before a healthy endpoint is taken out. A refused or
 * dropped connection takes it out at the first check; a server slow to answer once (busy machine,
 * first inference after a load) keeps serving.
 */
const SLOW_CHECKS_TO_EJECT = 2;

export interface EndpointPoolOptions {
  /** Default deadline of calls; also names the deadline in DEADLINE_EXCEEDED errors. */
  timeoutMs: number;
  healthIntervalMs: number;
  random?: RandomSource;
  breaker?: BreakerSettings;
  observer?: BackendProtectionObserver;
}

/**
 * Several Triton servers behind one face: health checks (ServerReady, then ModelReady for each
 * model the backend knows) keep each endpoint's state current, a call that fails with UNAVAILABLE
 * takes its endpoint out at once and opens its circuit breaker, and each call goes to the less busy
 * of two random endpoints that have its model ready (inference calls: and whose breaker admits).
 */
export class EndpointPool {
  readonly endpoints: readonly TritonEndpoint[];
  private readonly logger = new Logger(EndpointPool.name);
  private readonly random: RandomSource;
  private readonly listeners: (() => void)[] = [];
  private readonly observer: BackendProtectionObserver;
  private models: readonly string[] = [];
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private closed = false;

  constructor(
    clients: readonly TritonClient[],
    private readonly options: EndpointPoolOptions,
  ) {
    this.observer = options.observer ?? NO_PROTECTION_OBSERVER;
    const settings = options.breaker ?? DEFAULT_BREAKER_SETTINGS;
    this.endpoints = clients.map(
      (client) =>
        new TritonEndpoint(
          client,
          new EndpointBreaker(
            client.address,
            `Triton endpoint ${client.address}`,
            settings,
            this.observer,
          ),
        ),
    );
    this.random = options.random ?? Math.random;
  }

  /** The models whose readiness health checks ask about. */
  setModels(models: Iterable<string>): void {
    this.models = [...new Set(models)].sort();
  }

  /** Called after a health change: an endpoint came or went, or its ready models changed. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Periodic health checks; the timer does not keep the process alive. */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.checkNow(), this.options.healthIntervalMs);
    this.timer.unref();
  }

  /** One health round over every endpoint; joins the round in progress instead of starting another. */
  checkNow(): Promise<void> {
    this.round ??= Promise.all(this.endpoints.map((endpoint) => this.check(endpoint))).then(() => {
      this.round = undefined;
    });
    return this.round;
  }

  anyHealthy(): boolean {
    return this.endpoints.some((endpoint) => endpoint.healthy);
  }

  healthyEndpoints(): TritonEndpoint[] {
    return this.endpoints.filter((endpoint) => endpoint.healthy);
  }

  isModelReady(model: string): boolean {
    return this.servingCount(model) > 0;
  }

  /** Healthy endpoints with `model` ready. */
  servingCount(model: string): number {
    return eligibleFor(this.endpoints, model).length;
  }

  /** The endpoint for the next call of `model`; unavailable at once when none can serve it. */
  pick(model: string): TritonEndpoint {
    const chosen = pickPowerOfTwo(eligibleFor(this.endpoints, model), this.random);
    if (!chosen) throw this.noEndpointFor(model);
    return chosen;
  }

  /**
   * The endpoint for the next inference call of `model`: like `pick`, skipping endpoints whose
   * circuit breaker is open (a half-open one takes its single probe). When breakers leave none,
   * unavailable at once with the time until the first of them lets a probe through.
   */
  pickAdmitting(model: string): TritonEndpoint {
    const eligible = eligibleFor(this.endpoints, model);
    const chosen = pickPowerOfTwo(
      eligible.filter((endpoint) => endpoint.breaker.admits),
      this.random,
    );
    if (chosen) return chosen;
    if (eligible.length === 0) throw this.noEndpointFor(model);
    this.observer.fastFail(model);
    throw this.allBreakersOpen(model, eligible);
  }

  /**
   * How long until some endpoint may take calls again, after a call failed: an unhealthy endpoint
   * needs a health round, an open breaker its reset timeout. 0 when one may now.
   */
  nextChanceMs(now: number = Date.now()): number {
    return Math.min(
      ...this.endpoints.map((endpoint) =>
        Math.max(
          endpoint.healthy ? 0 : this.options.healthIntervalMs,
          endpoint.breaker.retryAfterMs(now),
        ),
      ),
    );
  }

  /** Another endpoint that can take a retry of `model` now, or undefined. */
  alternativeTo(failed: TritonEndpoint, model: string): TritonEndpoint | undefined {
    const others = eligibleFor(this.endpoints, model).filter(
      (endpoint) => endpoint !== failed && endpoint.breaker.admits,
    );
    return pickPowerOfTwo(others, this.random);
  }

  /** A call of `model` on the endpoint P2C picks, counted as outstanding while it runs. */
  call<T>(model: string, run: (endpoint: TritonEndpoint) => Promise<T>): Promise<T> {
    return this.callOn(this.pick(model), run);
  }

  /** A call on a given endpoint; gRPC failures become GatewayErrors naming it. */
  async callOn<T>(
    endpoint: TritonEndpoint,
    run: (endpoint: TritonEndpoint) => Promise<T>,
  ): Promise<T> {
    endpoint.outstanding += 1;
    try {
      return await run(endpoint);
    } catch (error) {
      if (isServiceError(error) && error.code === status.UNAVAILABLE) {
        this.markUnhealthy(endpoint, describeFailure(error));
      }
      throw fromTritonError(error, endpoint.address, this.options.timeoutMs);
    } finally {
      endpoint.outstanding -= 1;
    }
  }

  /**
   * A call found the endpoint unreachable: out of the pool until a health check passes, and its
   * breaker open, so that once back it takes one probe call before full traffic.
   */
  markUnhealthy(endpoint: TritonEndpoint, reason: string): void {
    endpoint.generation += 1;
    endpoint.breaker.trip(reason);
    this.update(endpoint, false, endpoint.readyModels, reason);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const endpoint of this.endpoints) {
      endpoint.breaker.close();
      endpoint.client.close();
    }
  }

  private async check(endpoint: TritonEndpoint): Promise<void> {
    if (this.closed) return;
    const generation = endpoint.generation;
    // Short enough that a hung server is found within about an interval, long enough (1 s at
    // least) that a busy machine does not fail a healthy one. Rounds never overlap (checkNow).
    const options = {
      timeoutMs: Math.min(this.options.timeoutMs, Math.max(1000, this.options.healthIntervalMs)),
    };
    try {
      if (!(await endpoint.client.serverReady(options))) {
        this.update(endpoint, false, new Set(), 'server not ready');
        return;
      }
      const ready = new Set<string>();
      await Promise.all(
        this.models.map(async (model) => {
          if (await endpoint.client.modelReady(model, '', options)) ready.add(model);
        }),
      );
      endpoint.slowChecks = 0;
      if (endpoint.generation === generation) this.update(endpoint, true, ready, '');
    } catch (error) {
      const slow = isServiceError(error) && error.code === status.DEADLINE_EXCEEDED;
      endpoint.slowChecks = slow ? endpoint.slowChecks + 1 : 0;
      if (slow && endpoint.healthy && endpoint.slowChecks < SLOW_CHECKS_TO_EJECT) return;
      this.update(endpoint, false, endpoint.readyModels, describeFailure(error));
    }
  }

  private update(
    endpoint: TritonEndpoint,
    healthy: boolean,
    readyModels: ReadonlySet<string>,
    failure: string,
  ): void {
    if (this.closed) return;
    const changed =
      endpoint.healthy !== healthy ||
      endpoint.readyModels.size !== readyModels.size ||
      [...readyModels].some((model) => !endpoint.readyModels.has(model));
    if (endpoint.healthy && !healthy) {
      this.logger.warn(`Triton endpoint ${endpoint.address} taken out: ${failure}`);
    } else if (!endpoint.healthy && healthy) {
      this.logger.log(
        `Triton endpoint ${endpoint.address} healthy, ready models: ${[...readyModels].join(', ') || 'none'}`,
      );
    }
    endpoint.healthy = healthy;
    endpoint.readyModels = readyModels;
    if (!healthy) endpoint.lastFailure = failure;
    if (changed) for (const listener of this.listeners) listener();
  }

  /** Nothing healthy with the model ready: the next health round may bring one back. */
  private noEndpointFor(model: string): GatewayError {
    const reasons = this.endpoints.map((endpoint) =>
      endpoint.healthy
        ? `${endpoint.address}: model not ready`
        : `${endpoint.address}: ${endpoint.lastFailure}`,
    );
    // An endpoint is back once a health check passes and its breaker lets a probe through.
    const now = Date.now();
    const retryAfterMs = Math.min(
      ...this.endpoints.map((endpoint) =>
        Math.max(this.options.healthIntervalMs, endpoint.breaker.retryAfterMs(now)),
      ),
    );
    return new GatewayError(
      'unavailable',
      `no healthy Triton endpoint for model '${model}' (${reasons.join('; ')})`,
      { retryAfterMs },
    );
  }

  private allBreakersOpen(model: string, blocked: readonly TritonEndpoint[]): GatewayError {
    const now = Date.now();
    const reasons = blocked.map(
      (endpoint) => `${endpoint.address}: ${endpoint.breaker.describe(now)}`,
    );
    const retryAfterMs = Math.min(...blocked.map((endpoint) => endpoint.breaker.retryAfterMs(now)));
    return new GatewayError(
      'unavailable',
      `every Triton endpoint serving model '${model}' has its circuit breaker open (${reasons.join('; ')})`,
      { retryAfterMs },
    );
  }
}
