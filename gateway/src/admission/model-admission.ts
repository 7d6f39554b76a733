import type { GatewayError } from '../errors/gateway-error';
import type { Priority } from '../request-path/call-context';
import { AdaptiveConcurrencyLimit } from './adaptive-concurrency-limit';
import {
  callerCancelled,
  deadlineInfeasible,
  deadlinePassed,
  expiredInQueue,
  queueFull,
  shedForRealtime,
  waitOverTarget,
  waitedOverTarget,
} from './admission-errors';
import type { Clock, Timer } from './clock';
import { ServiceTimeEstimate } from './service-time-estimate';

export interface AdmissionLimits {
  /** Requests at the backend at once; with `adaptive`, the most the learnt limit may reach. */
  maxInFlight: number;
  /** Requests waiting for a slot; 0 refuses as soon as every slot is busy. */
  maxQueue: number;
  /** Learn the limit from latency (AdaptiveConcurrencyLimit) between minInFlight and maxInFlight. */
  adaptive?: boolean;
  /** The least the learnt limit may go to (default 1). */
  minInFlight?: number;
  /**
   * How long a request should wait for a slot: an arrival that would wait longer is refused at
   * once, a queued one still waiting at twice that is refused then. `service`: the estimated
   * service time, or half the request's own deadline if longer; unset: only the deadline and
   * maxQueue bound the wait.
   */
  queueTarget?: number | 'service';
}

/** A request asking to be let through to the backend. */
export interface AdmissionTicket {
  priority: Priority;
  /** Epoch ms, on the admission clock. */
  deadline: number;
  /** The caller went away: a queued request leaves the queue at once. */
  signal?: AbortSignal;
}

/** A slot at the backend, held until released. */
export interface Permit {
  /**
   * Frees the slot and lets the next queued request in; `observedMs` (when given) is how long the
   * backend took, fed into the service-time estimate. Releasing twice does nothing.
   */
  release(observedMs?: number): void;
}

export type ShedReason = 'queue_full' | 'displaced' | 'wait_target' | 'waited';
export type ExpiredReason = 'on_arrival' | 'infeasible' | 'in_queue';

/** What happens in admission, for metrics. */
export interface AdmissionEvents {
  admitted(priority: Priority): void;
  shed(priority: Priority, reason: ShedReason): void;
  expired(priority: Priority, reason: ExpiredReason): void;
  cancelled(priority: Priority): void;
  changed(inFlight: number, queued: number): void;
  /** The number of requests allowed at the backend at once changed (adaptive limit). */
  limited(limit: number): void;
}

interface Waiter {
  ticket: AdmissionTicket;
  enqueuedAt: number;
  timer: Timer;
  detach: () => void;
  resolve: (permit: Permit) => void;
  reject: (error: GatewayError) => void;
}

/** The share of its own time budget a request may wait with the default queue target. */
const DEADLINE_SHARE = 0.5;

/** Retry-After when there is no service-time estimate to say how long the queue takes. */
const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * Admission for one model version: at most `maxInFlight` requests at the backend (or the limit
 * learnt from latency, `adaptive`), at most `maxQueue` waiting behind them, nothing buffered beyond
 * that.
 *
 * Queued real-time requests go before bulk ones (each kind first come, first served). When the
 * queue is full, a real-time arrival takes the place of the newest queued bulk request, which is
 * refused; so bulk traffic is shed first and real-time last.
 *
 * Waiting (CoDel's idea, a target for the time spent queued, applied to requests rather than
 * packets): an arrival whose wait for a slot would exceed its queue target (from the measured pace
 * of departures, or the service estimate, and the requests ahead of it of its priority or higher)
 * is refused with 429 at once instead of being admitted late, and a queued one still waiting at
 * twice its target (overtaken by real-time arrivals, or the backend slowed down) is refused then.
 * The default target is one service time, or half the caller's own deadline if that is longer: a
 * request that would spend more than half its time waiting is refused while it can still go
 * elsewhere, and a caller with a long deadline (a batch job, perf_analyzer at high concurrency, a
 * burst sent together) is queued as Triton would queue it. So under overload admitted calls stay
 * fast and the rest are told at once.
 *
 * Deadlines: a request that has already expired, or that the service-time estimate says cannot be
 * answered in the time it has left (its own service time plus the wait for the requests queued
 * ahead of it), is refused before it costs backend time; so is a queued one whose deadline passes,
 * at that moment, and one whose time left no longer covers the service time when its turn comes.
 */
export class ModelAdmission {
  readonly estimate = new ServiceTimeEstimate();
  private inFlight = 0;
  private readonly queues: Record<Priority, Waiter[]> = { realtime: [], bulk: [] };
  private adaptive: AdaptiveConcurrencyLimit | undefined;

  constructor(
    /** Names the model version in messages: `model 'nanodet' version 1`. */
    readonly label: string,
    private limits: AdmissionLimits,
    private readonly clock: Clock,
    private readonly events?: AdmissionEvents,
  ) {
    this.applyLimitKind();
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  get queuedCount(): number {
    return this.queues.realtime.length + this.queues.bulk.length;
  }

  /** Requests allowed at the backend at once now. */
  get slots(): number {
    return this.adaptive?.current ?? this.limits.maxInFlight;
  }

  /** New limits (the model's configuration changed) apply from now on; a larger one frees slots. */
  setLimits(limits: AdmissionLimits): void {
    if (limits === this.limits) return;
    this.limits = limits;
    this.applyLimitKind();
    this.pump();
  }

  admit(ticket: AdmissionTicket): Promise<Permit> {
    const { priority, deadline } = ticket;
    if (ticket.signal?.aborted) {
      this.events?.cancelled(priority);
      return Promise.reject(callerCancelled());
    }
    const now = this.clock.now();
    if (deadline <= now) {
      this.events?.expired(priority, 'on_arrival');
      return Promise.reject(deadlinePassed(this.label));
    }
    const serviceMs = this.estimate.serviceMs(now);
    const slots = this.slots;
    const slotFree = this.inFlight < slots && this.queuedCount === 0;
    const ahead =
      priority === 'realtime'
        ? this.queues.realtime.length
        : this.queues.realtime.length + this.queues.bulk.length;
    // The wait for a slot (none when one is free), worked out once for both checks below.
    const waitMs = slotFree ? 0 : (this.estimate.waitAt(now, ahead, slots) ?? 0);
    if (serviceMs !== undefined) {
      const neededMs = waitMs + serviceMs;
      if (deadline - now < neededMs) {
        this.events?.expired(priority, 'infeasible');
        return Promise.reject(deadlineInfeasible(this.label, deadline - now, neededMs, ahead));
      }
    }
    if (slotFree) return Promise.resolve(this.start(priority));

    const targetMs = this.targetFor(serviceMs, deadline - now);
    if (serviceMs !== undefined && targetMs !== undefined && waitMs > targetMs) {
      this.events?.shed(priority, 'wait_target');
      return Promise.reject(
        waitOverTarget(this.label, waitMs, targetMs, ahead, this.retryAfterMs(now)),
      );
    }
    const { maxQueue } = this.limits;
    if (this.queuedCount >= maxQueue) {
      const victim = priority === 'realtime' ? this.queues.bulk.at(-1) : undefined;
      if (!victim) {
        this.events?.shed(priority, 'queue_full');
        return Promise.reject(queueFull(this.label, slots, maxQueue, this.retryAfterMs(now)));
      }
      this.remove(victim);
      this.events?.shed('bulk', 'displaced');
      victim.reject(shedForRealtime(this.label, maxQueue, this.retryAfterMs(now)));
    }
    return this.enqueue(ticket, now, targetMs);
  }

  private applyLimitKind(): void {
    const { maxInFlight, adaptive } = this.limits;
    const minInFlight = Math.min(maxInFlight, this.limits.minInFlight ?? 1);
    if (!adaptive) this.adaptive = undefined;
    else if (this.adaptive) this.adaptive.setBounds(minInFlight, maxInFlight);
    else {
      this.adaptive = new AdaptiveConcurrencyLimit(minInFlight, maxInFlight, this.clock.now());
    }
    this.events?.limited(this.slots);
  }

  /**
   * A request's own queue target. The default (`service`) is one service time, or DEADLINE_SHARE
   * of the request's time budget if that is longer: a caller that gave itself a long deadline is
   * not waiting on each answer (a batch job, a client with many calls in flight) and would rather
   * queue than retry; a caller with a tight deadline is held to the service time. An explicit
   * target is strict.
   */
  private targetFor(serviceMs: number | undefined, budgetMs: number): number | undefined {
    const { queueTarget } = this.limits;
    if (queueTarget !== 'service') return queueTarget;
    return serviceMs === undefined ? undefined : Math.max(serviceMs, budgetMs * DEADLINE_SHARE);
  }

  private enqueue(
    ticket: AdmissionTicket,
    now: number,
    targetMs: number | undefined,
  ): Promise<Permit> {
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = {
        ticket,
        enqueuedAt: now,
        resolve,
        reject,
        // Held to twice its target even if it never reaches the head (real-time arrivals keep
        // overtaking it, the backend slowed down): it is told then, not at its deadline.
        timer: this.clock.setTimer(
          targetMs === undefined
            ? ticket.deadline - now
            : Math.min(ticket.deadline - now, 2 * targetMs),
          () => {
            this.remove(waiter);
            const at = this.clock.now();
            const waitedMs = at - waiter.enqueuedAt;
            if (at >= ticket.deadline || targetMs === undefined) {
              this.events?.expired(ticket.priority, 'in_queue');
              reject(expiredInQueue(this.label, waitedMs));
            } else {
              this.events?.shed(ticket.priority, 'waited');
              reject(waitedOverTarget(this.label, waitedMs, targetMs, this.retryAfterMs(at)));
            }
            this.changed();
          },
        ),
        detach: () => undefined,
      };
      const signal = ticket.signal;
      if (signal) {
        const onAbort = (): void => {
          this.remove(waiter);
          this.events?.cancelled(ticket.priority);
          reject(callerCancelled());
          this.changed();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.queues[ticket.priority].push(waiter);
      this.changed();
    });
  }

  /** Takes a waiter out of its queue and drops its timer and abort listener. */
  private remove(waiter: Waiter): void {
    const queue = this.queues[waiter.ticket.priority];
    const index = queue.indexOf(waiter);
    if (index >= 0) queue.splice(index, 1);
    waiter.timer.cancel();
    waiter.detach();
  }

  private start(priority: Priority): Permit {
    this.inFlight += 1;
    const startedWith = this.inFlight;
    this.events?.admitted(priority);
    this.changed();
    let released = false;
    return {
      release: (observedMs?: number) => {
        if (released) return;
        released = true;
        if (observedMs !== undefined) this.learn(observedMs, startedWith);
        this.inFlight -= 1;
        this.pump();
        this.changed();
      },
    };
  }

  private learn(observedMs: number, startedWith: number): void {
    const now = this.clock.now();
    this.estimate.observe(observedMs, now);
    this.estimate.observeDeparture(now, this.queuedCount > 0);
    if (this.adaptive?.observe(observedMs, startedWith, now)) this.events?.limited(this.slots);
  }

  /** Lets queued requests in while slots are free: real-time first, each kind in arrival order. */
  private pump(): void {
    while (this.inFlight < this.slots) {
      const waiter = this.queues.realtime[0] ?? this.queues.bulk[0];
      if (!waiter) break;
      this.remove(waiter);
      const now = this.clock.now();
      const { deadline, priority } = waiter.ticket;
      if (deadline <= now) {
        this.events?.expired(priority, 'in_queue');
        waiter.reject(expiredInQueue(this.label, now - waiter.enqueuedAt));
        continue;
      }
      const serviceMs = this.estimate.serviceMs(now);
      if (serviceMs !== undefined && deadline - now < serviceMs) {
        this.events?.expired(priority, 'infeasible');
        waiter.reject(deadlineInfeasible(this.label, deadline - now, serviceMs, 0));
        continue;
      }
      waiter.resolve(this.start(priority));
    }
  }

  /** About how long until this model has room again: the time its queue takes to drain. */
  private retryAfterMs(now: number): number {
    const serviceMs = this.estimate.serviceMs(now);
    if (serviceMs === undefined) return DEFAULT_RETRY_AFTER_MS;
    return Math.ceil(serviceMs * (this.queuedCount / this.slots + 1));
  }

  private changed(): void {
    this.events?.changed(this.inFlight, this.queuedCount);
  }
}
