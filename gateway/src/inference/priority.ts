import { invalidArgument } from '../errors/gateway-error';
import { quoted } from '../errors/quoted-value';
import type { Priority } from '../request-path/call-context';

/**
 * `x-priority: realtime|bulk` (HTTP header or gRPC metadata); absent means realtime, so a client
 * that says nothing is never shed before bulk traffic. Anything else is refused by name.
 */
export function parsePriority(values: readonly string[], where: 'header' | 'metadata'): Priority {
  if (values.length === 0) return 'realtime';
  const value = values.length === 1 ? values[0].trim().toLowerCase() : undefined;
  if (value === 'realtime' || value === 'bulk') return value;
  const got = values.length === 1 ? quoted(values[0]) : `${values.length} values`;
  throw invalidArgument(`${where} 'x-priority' must be 'realtime' or 'bulk' (got ${got})`);
}
