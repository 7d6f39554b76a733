import { API_KEY_ID_LENGTH, API_KEY_PREFIX } from '@auth';

export const REDACTED = '[Redacted]';

/** Field names whose values are credentials whatever they hold (headers, config, payloads). */
const SECRET_FIELD =
  /^(authorization|proxy-authorization|cookie|set-cookie|passw(or)?d|credentials?|apikey)$|token|secret|(^|[-_.])key$/i;
/** camelCase `...Key` (apiKey, privateKey); case-sensitive so that `monkey` or `keyId` stay. */
const SECRET_FIELD_CAMEL = /[a-z0-9]Key$/;

/** Credentials that may sit inside free text: an API key's secret part, bearer values, JWTs. */
const SECRET_TEXT: readonly [RegExp, string][] = [
  [
    new RegExp(`(${API_KEY_PREFIX}[0-9A-Za-z]{${API_KEY_ID_LENGTH}}_)[A-Za-z0-9_-]+`, 'g'),
    `$1${REDACTED}`,
  ],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
];

/** Past this depth a log field is summarised: logs are not a place for whole object graphs. */
const MAX_DEPTH = 8;

export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name) || SECRET_FIELD_CAMEL.test(name);
}

/** `text` with every credential-shaped substring replaced. */
export function redactText(text: string): string {
  let result = text;
  for (const [pattern, replacement] of SECRET_TEXT) result = result.replace(pattern, replacement);
  return result;
}

/**
 * A copy of a log record with secret fields replaced at any depth (headers objects, Maps of
 * metadata, nested payloads) and credentials scrubbed from strings; errors become plain
 * `{ type, message, stack }` with the same scrubbing. The input is never modified.
 */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]';
  seen.add(value);
  try {
    if (isErrorLike(value)) {
      return {
        type: value.name,
        message: redactText(value.message),
        ...(value.stack ? { stack: redactText(value.stack) } : {}),
      };
    }
    if (ArrayBuffer.isView(value)) return `[${value.constructor.name} ${value.byteLength} bytes]`;
    if (Array.isArray(value)) {
      return (value as unknown[]).map((item) => redact(item, depth + 1, seen));
    }
    const entries: [string, unknown][] =
      value instanceof Map
        ? [...(value as Map<unknown, unknown>).entries()].map(([k, v]) => [String(k as string), v])
        : Object.entries(value);
    const copy: Record<string, unknown> = {};
    for (const [key, field] of entries) {
      copy[key] = isSecretField(key) ? REDACTED : redact(field, depth + 1, seen);
    }
    return copy;
  } finally {
    seen.delete(value);
  }
}

function isErrorLike(value: object): value is Error {
  return (
    value instanceof Error ||
    (typeof (value as Error).message === 'string' && typeof (value as Error).stack === 'string')
  );
}
