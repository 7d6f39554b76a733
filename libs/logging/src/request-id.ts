import { randomUUID } from 'node:crypto';

/** What an `x-request-id` may be: printable, without spaces, bounded, so logs stay readable. */
const REQUEST_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/**
 * The id a request is known by in logs and answers: the caller's (or a proxy's) `x-request-id`
 * when it is a sane token, else a fresh UUID. A bad one is replaced, never echoed, so a caller
 * cannot write arbitrary text into log lines or answer headers.
 */
export function requestIdFrom(value: unknown): string {
  return typeof value === 'string' && REQUEST_ID.test(value) ? value : randomUUID();
}
