import { TEST_ADMIN_KEY } from '../support/test-credentials';
import { type ErrorCode } from '../../src/errors/control-plane-error';

/** The security headers every answer of the control plane carries (the gateway's set). */
export function expectSecurityHeaders(headers: Record<string, string> | Headers): void {
  const get = (name: string): string | null | undefined =>
    headers instanceof Headers ? headers.get(name) : headers[name];
  expect({
    'x-content-type-options': get('x-content-type-options'),
    'x-frame-options': get('x-frame-options'),
    'content-security-policy': get('content-security-policy'),
    'referrer-policy': get('referrer-policy'),
    'strict-transport-security': get('strict-transport-security'),
    'cross-origin-resource-policy': get('cross-origin-resource-policy'),
  }).toEqual({
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none';frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
    'strict-transport-security': 'max-age=31536000',
    'cross-origin-resource-policy': 'same-origin',
  });
}

/** `extensions.code` of the first error of an answer in the control plane's error shape. */
export function errorCodeOf(body: unknown): ErrorCode | undefined {
  const parsed: unknown = typeof body === 'string' ? safeJson(body) : body;
  return (parsed as { errors?: { extensions?: { code?: ErrorCode } }[] } | undefined)?.errors?.[0]
    ?.extensions?.code;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/** A POST of `body` as JSON to /graphql, as a well-behaved client sends it. */
export async function postJson(baseUrl: string, body: unknown): Promise<JsonAnswer> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEST_ADMIN_KEY },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (safeJson(text) ?? { unparsed: text.slice(0, 200) }) as JsonAnswer['body'],
  };
}
