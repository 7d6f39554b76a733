import type { Detection } from '@vision-math';
import type { CallContext } from './call-context';
import type { CallDurations } from './model-statistics';
import type { ResolvedTarget } from './resolved-target';
import type { RouteDecision } from './route-decision';

/** What a call asks for, as its front door read it; never written to by the pipeline. */
export interface CallAsk {
  readonly model: string;
  /** '' asks for the route's choice (today: the newest served version). */
  readonly version: string;
  /** The caller's deadline (epoch ms, `Date.now()` clock), if it gave one. */
  readonly deadline?: number;
  /** Aborted when the caller goes away. */
  readonly signal?: AbortSignal;
}

/**
 * The receipt of admission: a call admitted to its routed version, and the terms its work runs
 * under. Built by the admit stage; the work reads it, nothing writes to it.
 */
export interface AdmittedCall {
  readonly call: CallContext;
  readonly target: ResolvedTarget;
  /** When the caller stops waiting (epoch ms): the caller's, else the version's default timeout. */
  readonly deadline: number;
  /**
   * Aborted at the deadline or when the caller goes away: whatever calls out (Triton) passes it
   * on. The caller's own signal is never replaced.
   */
  readonly signal: AbortSignal;
  /**
   * Where the call's time goes (queue, compute), for the statistics extension: set by the call
   * pipeline for a caller's call; absent for a shadow copy, which is not counted.
   */
  readonly durations?: CallDurations;
}

/** What a call does once the guards let it through: a tensor call, a detect call. */
export interface CallWork<T> {
  /**
   * Cheap checks of the call against the routed version (a tensor call's signature, a detect
   * call's class names), before an admission slot is taken.
   */
  precheck(target: ResolvedTarget): void;
  /** The call's work, run while it holds its admission slot. */
  run(admitted: AdmittedCall): Promise<T>;
  /**
   * The same call on another version, for a shadow copy, after `primary` answered: reuses what the
   * primary computed where it fits (a detect call's decoded image). Absent: the call is not copied.
   */
  shadow?(admitted: AdmittedCall, primary: T): Promise<T>;
  /** The detections an answer holds, for comparing a shadow's answer with the primary's. */
  detectionsOf?(answer: T): readonly Readonly<Detection>[] | undefined;
}

/** One call on its way through the guards: what each reads, and what route resolves (once). */
export interface GuardedCall<T = unknown> {
  readonly call: CallContext;
  readonly ask: CallAsk;
  readonly work: CallWork<T>;
  /** Set by the route stage, once: the version that serves the call, and why. */
  target?: ResolvedTarget;
  route?: RouteDecision;
}

/** A guard of the call pipeline: refuses the call (throws) or lets it on. */
export interface CallGuard {
  readonly name: string;
  check(guarded: GuardedCall): void | Promise<void>;
}
