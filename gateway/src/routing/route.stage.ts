import type { InferenceBackend } from '../request-path/inference-backend';
import type { CallGuard, GuardedCall } from '../request-path/call-work';

/**
 * Resolves the version that serves the call, once; every later step reads it from the call.
 * Identity routing for now: the version asked for, else the newest the backend serves. Canary,
 * shadow and sticky routing replace the choice here, not the stages around it.
 */
export class RouteStage implements CallGuard {
  readonly name = 'route';

  constructor(private readonly backend: InferenceBackend) {}

  check(guarded: GuardedCall): void {
    if (guarded.target) throw new Error('a call is routed once');
    guarded.target = this.backend.resolve(guarded.ask.model, guarded.ask.version);
  }
}
