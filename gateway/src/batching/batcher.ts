import { GatewayError } from '../errors/gateway-error';
import type { InferRequest, InferResponse } from '../request-path/inference-backend';
import type { BatchLimits, BatchTuner } from './adaptive-controller';
import { systemClock, type Clock, type Timer } from '../admission/clock';
import { formBatch, type FormationLimits } from './batch-formation';
import { concatenateInputs, splitOutputs } from './batch-tensors';
import type { ModelBatchingSettings, QueuePolicy } from './batching-settings';
import { batchSizeOf, compatibilityKey } from './compatibility-key';
import { PriorityQueues } from './priority-queues';

/**
 * Runs one batch: the rest of the request path with the merged request. `contexts` are what each
 * member was submitted with, in member order.
 */
export type DispatchBatch<C> = (
  request: InferRequest,
  contexts: readonly C[],
) => Promise<InferResponse>;

/** What the batcher reports as it works (metrics); every method optional to implement as a no-op. */
export interface BatcherObserver {
  queueDepth(depth: number): void;
  inFlight(batches: number): void;
  /** A batch left: its size and each member's priority level and time in the queue. */
  dispatched(size: number, members: readonly { level: number; queueDelayMs: number }[]): void;
  expired(reason: 'deadline' | 'queue_timeout', level: number): void;
  refused(reason: 'queue_full', level: number): void;
  cancelled(level: number): void;
  /** The limits batches are formed under, at start and after each adaptive step. */
  limits(limits: BatchLimits, observedP99Ms?: number): void;
}

export interface BatcherOptions<C> {
  /** Names the model version in errors, e.g. `model 'nanodet' version 1`. */
  label: string;
  settings: ModelBatchingSettings;
  dispatch: DispatchBatch<C>;
  clock?: Clock;
  /** Adaptive mode: turns maxBatchSize and maxQueueDelayMs; absent, the settings hold. */
  tuner?: BatchTuner;
  observer?: Partial<BatcherObserver>;
}

interface Entry<C> {
  readonly seq: number;
  level: number;
  readonly request: InferRequest;
  readonly context: C;
  readonly size: number;
  readonly key: string;
  readonly enqueuedAt: number;
  /** The caller's deadline, Infinity when none. */
  readonly deadline: number;
  /** When the level's queue policy times the request out; Infinity: never. */
  timeoutAt: number;
  state: 'queued' | 'dispatched' | 'settled';
  resolve(response: InferResponse): void;
  reject(error: GatewayError | Error): void;
  detach(): void;
}

/** Weight of the newest batch time in the service-time estimate. */
const SERVICE_ALPHA = 0.2;

/**
 * The dynamic batcher of one model version, in front of any backend; independent of Nest and of
 * the request path (it only calls `dispatch`). Requests wait in bounded per-priority queues and
 * leave as batches of compatible requests (formBatch decides when); at most maxBatchesInFlight
 * batches run at once, so the backend's queue stays here, where deadlines and priorities apply.
 * Each member gets its own slice of the batch's outputs or, if the batch fails, the batch's error.
 */
export class Batcher<C> {
  private readonly queues: PriorityQueues<Entry<C>>;
  private readonly clock: Clock;
  private readonly observer: Partial<BatcherObserver>;
  private timer?: Timer;
  private timerAt = Infinity;
  private nextSeq = 0;
  private inFlight = 0;
  private serviceMs: number | undefined;
  private closed = false;

  constructor(private readonly options: BatcherOptions<C>) {
    this.clock = options.clock ?? systemClock;
    this.observer = options.observer ?? {};
    this.queues = new PriorityQueues(options.settings.queuePolicies.length);
    this.observer.limits?.(this.limits());
  }

  /** Priority levels, 0 the highest: real-time traffic takes 0, bulk the last. */
  get levelCount(): number {
    return this.queues.levelCount;
  }

  get queued(): number {
    return this.queues.size;
  }

  get batchesInFlight(): number {
    return this.inFlight;
  }

  /** The limits batches are formed under now (adaptive mode moves them). */
  limits(): FormationLimits {
    const { settings, tuner } = this.options;
    if (!tuner) return settings;
    const tuned = tuner.limits();
    return {
      maxBatchSize: tuned.maxBatchSize,
      maxQueueDelayMs: tuned.maxQueueDelayMs,
      // A preferred size above the tuned limit could never be reached; the limit itself is one.
      preferredBatchSizes: [
        ...settings.preferredBatchSizes.filter((size) => size < tuned.maxBatchSize),
        tuned.maxBatchSize,
      ],
    };
  }

  /** Queues the request; settles with its own slice of a batch's answer, or with a refusal. */
  submit(request: InferRequest, level: number, context: C): Promise<InferResponse> {
    const now = this.clock.now();
    const policy = this.policy(level);
    if (this.closed) return Promise.reject(this.shuttingDown());
    if (request.signal?.aborted) {
      this.observer.cancelled?.(level);
      return Promise.reject(cancelled());
    }
    if (request.deadline !== undefined && request.deadline <= now) {
      this.observer.expired?.('deadline', level);
      return Promise.reject(
        new GatewayError(
          'deadline_exceeded',
          `deadline passed before ${this.options.label} could batch the request`,
        ),
      );
    }
    if (this.queues.lengthOf(level) >= policy.maxQueueSize) {
      this.observer.refused?.('queue_full', level);
      return Promise.reject(
        new GatewayError(
          'resource_exhausted',
          `the batch queue of ${this.options.label} is full (${policy.maxQueueSize} requests at priority level ${level + 1})`,
          { retryAfterMs: this.retryAfterMs() },
        ),
      );
    }

    return new Promise<InferResponse>((resolve, reject) => {
      const overridden = policy.allowTimeoutOverride && request.deadline !== undefined;
      const entry: Entry<C> = {
        seq: this.nextSeq++,
        level,
        request,
        context,
        size: batchSizeOf(request),
        key: compatibilityKey(request),
        enqueuedAt: now,
        deadline: request.deadline ?? Infinity,
        timeoutAt: policy.timeoutMs > 0 && !overridden ? now + policy.timeoutMs : Infinity,
        state: 'queued',
        resolve,
        reject,
        detach: () => {},
      };
      const signal = request.signal;
      if (signal) {
        const onAbort = (): void => this.abandon(entry);
        signal.addEventListener('abort', onAbort, { once: true });
        entry.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.queues.push(entry);
      this.options.tuner?.arrival(now);
      this.observer.queueDepth?.(this.queues.size);
      this.schedule();
    });
  }

  /** Refuses everything still queued; batches in flight finish. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const entry of this.queues.ranked()) {
      this.queues.remove(entry);
      this.settle(entry, () => entry.reject(this.shuttingDown()));
    }
    this.observer.queueDepth?.(0);
  }

  /** Drops what expired, sends every batch that is ready while there is room, sets the next wake-up. */
  private schedule(): void {
    if (this.closed) return;
    const now = this.clock.now();
    this.expire(now);
    let wake = Infinity;
    for (;;) {
      const ranked = this.queues.ranked();
      wake = ranked.reduce(
        (soonest, entry) => Math.min(soonest, entry.deadline, entry.timeoutAt),
        Infinity,
      );
      if (ranked.length === 0 || this.inFlight >= this.options.settings.maxBatchesInFlight) break;
      const limits = this.limits();
      let sent = false;
      for (const group of groupsOf(ranked)) {
        const formation = formBatch(group, limits, now, this.serviceMs ?? 0);
        if ('dispatch' in formation) {
          this.dispatch(group.slice(0, formation.dispatch), limits.maxBatchSize, now);
          sent = true;
          break;
        }
        wake = Math.min(wake, formation.waitUntil);
      }
      if (!sent) break;
    }
    this.observer.queueDepth?.(this.queues.size);
    this.wakeAt(wake, now);
  }

  private wakeAt(at: number, now: number): void {
    if (at === this.timerAt && this.timer) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = at;
    if (at === Infinity) return;
    this.timer = this.clock.setTimer(Math.max(0, at - now), () => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.schedule();
    });
  }

  /** Caller deadlines always end a queued request; the level's queue policy may too (or demote it). */
  private expire(now: number): void {
    for (const entry of this.queues.ranked()) {
      if (entry.deadline <= now) {
        this.queues.remove(entry);
        this.observer.expired?.('deadline', entry.level);
        const waited = Math.round(now - entry.enqueuedAt);
        this.settle(entry, () =>
          entry.reject(
            new GatewayError(
              'deadline_exceeded',
              `deadline passed after ${waited} ms in the batch queue of ${this.options.label}`,
            ),
          ),
        );
      } else if (entry.timeoutAt <= now) {
        const policy = this.policy(entry.level);
        if (policy.onTimeout === 'delay') {
          entry.timeoutAt = Infinity;
          this.queues.move(entry, this.queues.levelCount - 1);
          continue;
        }
        this.queues.remove(entry);
        this.observer.expired?.('queue_timeout', entry.level);
        this.settle(entry, () =>
          entry.reject(
            new GatewayError(
              'deadline_exceeded',
              `waited longer than the queue policy of ${this.options.label} allows (${policy.timeoutMs} ms)`,
            ),
          ),
        );
      }
    }
  }

  private dispatch(members: Entry<C>[], limit: number, now: number): void {
    for (const member of members) {
      this.queues.remove(member);
      member.state = 'dispatched';
    }
    const size = members.reduce((sum, member) => sum + member.size, 0);
    this.inFlight += 1;
    this.observer.inFlight?.(this.inFlight);
    this.observer.dispatched?.(
      size,
      members.map((member) => ({ level: member.level, queueDelayMs: now - member.enqueuedAt })),
    );

    const batch = new AbortController();
    const request = members.length === 1 ? members[0].request : merge(members, batch.signal);
    for (const member of members) {
      // A member whose caller leaves stops waiting; the batch runs on unless all of them left.
      const signal = member.request.signal;
      if (!signal) continue;
      signal.addEventListener(
        'abort',
        () => {
          if (members.every((other) => other.request.signal?.aborted)) batch.abort();
        },
        { once: true },
      );
    }

    let running: Promise<InferResponse>;
    try {
      running = this.options.dispatch(
        request,
        members.map((member) => member.context),
      );
    } catch (error) {
      running = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    void running
      .then(
        (response) => this.answer(members, response),
        (error: unknown) => this.fail(members, error),
      )
      .finally(() => this.finished(members, size, limit, now));
  }

  private answer(members: readonly Entry<C>[], response: InferResponse): void {
    if (members.length === 1) {
      this.settle(members[0], () => members[0].resolve(response));
      return;
    }
    let slices: ReturnType<typeof splitOutputs>;
    try {
      slices = splitOutputs(
        response.outputs,
        members.map((member) => member.size),
      );
    } catch (error) {
      this.fail(members, error);
      return;
    }
    members.forEach((member, index) =>
      this.settle(member, () =>
        member.resolve({
          model: response.model,
          version: response.version,
          id: member.request.id,
          outputs: slices[index],
        }),
      ),
    );
  }

  private fail(members: readonly Entry<C>[], error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    for (const member of members) this.settle(member, () => member.reject(failure));
  }

  private finished(
    members: readonly Entry<C>[],
    size: number,
    limit: number,
    dispatchedAt: number,
  ): void {
    const now = this.clock.now();
    const batchMs = now - dispatchedAt;
    this.serviceMs =
      this.serviceMs === undefined
        ? batchMs
        : this.serviceMs + SERVICE_ALPHA * (batchMs - this.serviceMs);
    this.inFlight -= 1;
    this.observer.inFlight?.(this.inFlight);
    const tuner = this.options.tuner;
    if (tuner) {
      tuner.completed({
        size,
        limit,
        latenciesMs: members.map((member) => now - member.enqueuedAt),
        serviceMs: batchMs,
      });
      this.observer.limits?.(this.limits(), tuner.observedP99Ms);
    }
    this.schedule();
  }

  /**
   * The request's signal aborted: the caller left, or (the admit stage's signal) its deadline passed.
   * Out of the queue at once, or, once dispatched, no longer waiting for the batch.
   */
  private abandon(entry: Entry<C>): void {
    if (entry.state === 'settled') return;
    if (entry.state === 'queued') {
      this.queues.remove(entry);
      this.observer.queueDepth?.(this.queues.size);
    }
    const reason: unknown = entry.request.signal?.reason;
    const error = reason instanceof GatewayError ? reason : cancelled();
    if (error.kind === 'deadline_exceeded') this.observer.expired?.('deadline', entry.level);
    else this.observer.cancelled?.(entry.level);
    this.settle(entry, () => entry.reject(error));
  }

  private settle(entry: Entry<C>, settle: () => void): void {
    if (entry.state === 'settled') return;
    entry.state = 'settled';
    entry.detach();
    settle();
  }

  private policy(level: number): QueuePolicy {
    const policies = this.options.settings.queuePolicies;
    return policies[Math.min(Math.max(0, level), policies.length - 1)];
  }

  /** About when a queue slot frees: the batches ahead of it, at the observed batch time. */
  private retryAfterMs(): number {
    const { maxBatchSize, maxBatchesInFlight, maxQueueDelayMs } = this.options.settings;
    const perBatch = this.serviceMs ?? Math.max(10, maxQueueDelayMs);
    const batchesAhead = Math.ceil((this.queues.size + 1) / maxBatchSize);
    return Math.max(1, Math.ceil((perBatch * batchesAhead) / maxBatchesInFlight));
  }

  private shuttingDown(): GatewayError {
    return new GatewayError(
      'unavailable',
      `${this.options.label} stopped batching: the gateway is shutting down`,
    );
  }
}

/** The members' requests as one: inputs stacked in member order, the latest deadline of them all. */
function merge<C>(members: readonly Entry<C>[], signal: AbortSignal): InferRequest {
  const requests = members.map((member) => member.request);
  const deadlines = requests.map((request) => request.deadline);
  const first = requests[0];
  return {
    model: first.model,
    version: first.version,
    inputs: concatenateInputs(requests),
    outputs: [...first.outputs],
    signal,
    // A member without a deadline may wait as long as the backend takes.
    deadline: deadlines.includes(undefined) ? undefined : Math.max(...(deadlines as number[])),
  };
}

/** Queued requests by compatibility key, each group in rank order, groups by their best member. */
function groupsOf<C>(ranked: readonly Entry<C>[]): Entry<C>[][] {
  const groups = new Map<string, Entry<C>[]>();
  for (const entry of ranked) {
    const group = groups.get(entry.key);
    if (group) group.push(entry);
    else groups.set(entry.key, [entry]);
  }
  return [...groups.values()];
}

function cancelled(): GatewayError {
  return new GatewayError(
    'cancelled',
    'the caller cancelled the request while it waited for a batch',
  );
}
