import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, ClientUnaryCall, ServiceError } from '@grpc/grpc-js';
import { NANODET_INPUT_SIZE, nanodetInferRequest } from '../nanodet-reference';
import { seededFloats } from '../test-gateway';

/** One request of a load loop: when it was sent and answered, and its error if it failed. */
export interface Outcome<E> {
  startedAt: number;
  endedAt: number;
  error?: E;
}

export interface ClosedLoopLoad<E> {
  /** Every answered request so far, in the order the answers came. */
  readonly outcomes: Outcome<E>[];
  successes(): number;
  /** Stops sending and resolves, with every outcome, once each worker's last request ended. */
  stop(): Promise<Outcome<E>[]>;
}

/**
 * Closed-loop load: `workers` callers each sending a request as soon as the previous one is answered.
 * `send` resolves with the request's error, or undefined when it succeeded.
 */
export function startClosedLoopLoad<E>(
  workers: number,
  send: (worker: number) => Promise<E | undefined>,
): ClosedLoopLoad<E> {
  const outcomes: Outcome<E>[] = [];
  let running = true;
  const worker = async (index: number): Promise<void> => {
    while (running) {
      const startedAt = Date.now();
      const error = await send(index);
      outcomes.push({ startedAt, endedAt: Date.now(), error });
      if (error !== undefined) await sleep(20); // a failing backend must not turn the loop into a spin
    }
  };
  const all = Array.from({ length: workers }, (_, index) => worker(index));
  return {
    outcomes,
    successes: () => outcomes.filter((outcome) => outcome.error === undefined).length,
    stop: async () => {
      running = false;
      await Promise.all(all);
      return outcomes;
    },
  };
}

/** The client gave up waiting on a request (a hang): gRPC CANCELLED from the load's own watchdog. */
export const HUNG = 'the load gave up waiting (watchdog)';

/**
 * Closed-loop nanodet ModelInfer over gRPC. The calls carry no gRPC deadline (the gateway applies its
 * default); with `watchdogMs` the load cancels a call unanswered that long and records it as failed
 * with CANCELLED and details HUNG, so a call the gateway never answers fails the test, not hangs it.
 */
export function startModelInferLoad(
  client: Client & Record<string, unknown>,
  workers: number,
  { id = 'load', watchdogMs }: { id?: string; watchdogMs?: number } = {},
): ClosedLoopLoad<ServiceError> {
  const request = nanodetInferRequest(seededFloats(NANODET_INPUT_SIZE, 7), 1, { id });
  // No Metadata or options argument: see test-gateway.ts (callUnary).
  const modelInfer = client.modelInfer as (
    request: unknown,
    callback: (error: ServiceError | null) => void,
  ) => ClientUnaryCall;
  const send = (): Promise<ServiceError | undefined> =>
    new Promise((resolvePromise) => {
      let hung = false;
      const call = modelInfer.call(client, request, (error) => {
        clearTimeout(watchdog);
        if (error !== null && hung) error.details = HUNG;
        resolvePromise(error ?? undefined);
      });
      const watchdog =
        watchdogMs === undefined
          ? undefined
          : setTimeout(() => {
              hung = true;
              call.cancel();
            }, watchdogMs);
    });
  return startClosedLoopLoad(workers, send);
}

/** A failed REST request: its status (0: no answer before the watchdog) and what came with it. */
export interface HttpFailure {
  status: number;
  retryAfter: string | null;
  body: string;
}

/**
 * Closed-loop REST detect of one sample image (`POST /v1/models/<model>/detect`) with
 * `X-Request-Timeout: <timeoutMs>ms`; a request unanswered after `watchdogMs` is aborted and
 * recorded with status 0.
 */
export function startDetectLoad(
  httpUrl: string,
  workers: number,
  {
    model = 'nanodet',
    image,
    headers,
    timeoutMs,
    watchdogMs,
  }: {
    model?: string;
    image: Buffer;
    headers: Record<string, string>;
    timeoutMs: number;
    watchdogMs: number;
  },
): ClosedLoopLoad<HttpFailure> {
  const send = async (): Promise<HttpFailure | undefined> => {
    try {
      const response = await fetch(`${httpUrl}/v1/models/${model}/detect`, {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'image/jpeg',
          'x-request-timeout': `${timeoutMs}ms`,
        },
        body: image,
        signal: AbortSignal.timeout(watchdogMs),
      });
      const body = await response.text();
      if (response.status === 200) return undefined;
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { status: 0, retryAfter: null, body: `${HUNG}: ${why}` };
    }
  };
  return startClosedLoopLoad(workers, send);
}
