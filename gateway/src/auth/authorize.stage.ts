import type { CallGuard, GuardedCall } from '../request-path/call-work';
import { ACCESS, authorize } from './access-policy';

/**
 * First guard of every call: the caller must hold `infer:<model>`. The front doors authorise too
 * (before reading a body); this makes it impossible for one to forget, and checks each message of
 * a stream, whose messages name their own models.
 */
export class AuthorizeStage implements CallGuard {
  readonly name = 'authorize';

  check({ call, ask }: GuardedCall): void {
    if (call.companion) return;
    authorize(call.caller, ACCESS.model, ask.model || undefined);
  }
}
