import type { CallGuard, GuardedCall } from '../request-path/call-work';

/**
 * The work's own checks against the routed version (a tensor call's signature and element counts,
 * a detect call's class names): after route, so they check the version that will serve the call,
 * and before admit, so a call that would fail costs no slot.
 */
export class PrecheckStage implements CallGuard {
  readonly name = 'precheck';

  check(guarded: GuardedCall): void {
    if (!guarded.target) throw new Error('precheck needs the route stage first');
    guarded.work.precheck(guarded.target);
  }
}
