import { AsyncLocalStorage } from 'node:async_hooks';

const backgroundWork = new AsyncLocalStorage<string>();

/**
 * Runs `work` as the control plane's own background work (the routing-revision poll, the canary
 * analysis loop): its database queries are then told apart from those a request caused, by
 * `backgroundWorkName()` inside them — what a meter of a request's cost must not count.
 */
export function asBackgroundWork<T>(name: string, work: () => Promise<T>): Promise<T> {
  return backgroundWork.run(name, work);
}

/** The background work the current code runs for, or undefined within a request. */
export function backgroundWorkName(): string | undefined {
  return backgroundWork.getStore();
}
