import { invalidArgument } from '../errors/gateway-error';
import { quoted } from '../errors/quoted-value';
import { MAX_TIMER_MS } from './clock';

/** The HTTP header a caller sets to say how long it will wait for the answer. */
export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;
const FORMAT = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;

/**
 * `X-Request-Timeout` in milliseconds: an integer (`250`), or a number with a unit (`250ms`, `2s`,
 * `1.5s`, `1m`). Anything else, zero, or more than Node's timers can hold (about 24.8 days) is the
 * caller's mistake and refused with the header and the value in the message.
 */
export function parseRequestTimeout(value: string): number {
  const text = value.trim();
  const match = FORMAT.exec(text);
  const refuse = (why: string) =>
    invalidArgument(`${REQUEST_TIMEOUT_HEADER} ${quoted(value)} ${why}`);
  if (!match) {
    throw refuse(
      'is not a timeout: give milliseconds (250) or a number with a unit (250ms, 2s, 1m)',
    );
  }
  const [, amount, unit] = match;
  if (unit === undefined && amount.includes('.')) {
    throw refuse('has a fraction: whole milliseconds, or a unit (1.5s)');
  }
  const ms = Math.ceil(Number(amount) * UNIT_MS[(unit ?? 'ms') as keyof typeof UNIT_MS]);
  if (ms < 1) throw refuse('must be at least 1 ms');
  if (ms > MAX_TIMER_MS) throw refuse(`is longer than the longest timeout, ${MAX_TIMER_MS} ms`);
  return ms;
}
