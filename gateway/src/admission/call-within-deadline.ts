import { callerCancelled, expiredAtBackend } from './admission-errors';
import type { Clock } from './clock';
import type { Permit } from './model-admission';

export type BackendEnd = 'answered' | 'failed' | 'deadline' | 'cancelled';

/**
 * Runs the rest of the request path for an admitted request and holds its slot until the backend
 * is done with it.
 *
 * `next` runs with a signal of its own that aborts when the caller goes away (`callerSignal`) or
 * the deadline passes, so whatever calls out (Triton) cancels its call; the caller's signal is
 * never replaced, so a copy of the call (a shadow) keeps running when this one is cancelled. The caller is answered at that moment (504 /
 * DEADLINE_EXCEEDED, or cancelled); the slot is released only when the backend settles, so a
 * backend that cannot stop mid-run (ONNX Runtime) never has more than max in flight. The service
 * time is observed for answered requests and for those that ran into their deadline (a lower bound
 * that teaches the estimate the model is slow), never for failures or cancellations.
 */
export async function callWithinDeadline<T>(
  callerSignal: AbortSignal | undefined,
  deadline: number,
  next: (signal: AbortSignal) => Promise<T>,
  permit: Permit,
  clock: Clock,
  label: string,
  onEnd: (end: BackendEnd) => void = () => undefined,
): Promise<T> {
  const started = clock.now();
  const caller = callerSignal;
  const controller = new AbortController();
  let end: BackendEnd | undefined;
  const abort = (why: 'deadline' | 'cancelled'): void => {
    if (controller.signal.aborted) return;
    end = why;
    controller.abort(
      why === 'deadline' ? expiredAtBackend(label, deadline - started) : callerCancelled(),
    );
  };
  const timer = clock.setTimer(deadline - started, () => abort('deadline'));
  const onCallerAbort = (): void => abort('cancelled');
  caller?.addEventListener('abort', onCallerAbort, { once: true });
  if (caller?.aborted) onCallerAbort();

  const call = Promise.resolve().then(() => next(controller.signal));
  const settle = (outcome: 'answered' | 'failed'): void => {
    timer.cancel();
    caller?.removeEventListener('abort', onCallerAbort);
    const observed = end === undefined ? outcome === 'answered' : end === 'deadline';
    permit.release(observed ? clock.now() - started : undefined);
    onEnd(end ?? outcome);
  };
  call.then(
    () => settle('answered'),
    () => settle('failed'),
  );
  const abandoned = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), {
      once: true,
    });
  });
  abandoned.catch(() => undefined); // an abort after the answer went out is nobody's failure
  try {
    return await Promise.race([call, abandoned]);
  } catch (error) {
    // A backend failing because it was cancelled reports the cancellation's reason, not its own.
    if (controller.signal.aborted) throw controller.signal.reason as Error;
    throw error;
  }
}
