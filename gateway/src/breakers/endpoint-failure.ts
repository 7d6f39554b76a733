import { GatewayError, type ErrorKind } from '../errors/gateway-error';
import type { CallerTerms } from './breaker-settings';

/** Kinds of failure that say the endpoint is sick; the rest are verdicts on the request. */
const SICK: ReadonlySet<ErrorKind> = new Set(['unavailable', 'deadline_exceeded', 'internal']);

/**
 * Whether a failed call counts against its endpoint's breaker. A client's bad input
 * (invalid_argument, not_found, ...) does not, nor does anything the caller caused: going away
 * (aborted signal) or a deadline of its own that ran out first. A tight client deadline thus never
 * opens a breaker shared by every tenant; a server that hangs is still found by the gateway's own
 * timeout and by the health checks.
 */
export function countsAgainstEndpoint(
  error: unknown,
  terms: CallerTerms = {},
  now: number = Date.now(),
): boolean {
  if (terms.signal?.aborted) return false;
  if (!(error instanceof GatewayError)) return true; // an unexpected failure is an internal one
  if (!SICK.has(error.kind)) return false;
  if (error.kind === 'deadline_exceeded' && callerDeadlinePassed(terms, now)) return false;
  return true;
}

export function callerDeadlinePassed(terms: CallerTerms, now: number = Date.now()): boolean {
  return terms.deadline !== undefined && now >= terms.deadline;
}
