import { ERROR_KINDS } from '../../src/errors/gateway-error';
import { authHeaders } from '../test-gateway';
import { answerWithin } from './cheap-property';

/** What the gateway answered to one HTTP request, read completely. */
export interface HttpOutcome {
  path: string;
  status: number;
  headers: Headers;
  body: Buffer;
}

/** One request, read completely; answered later than ANSWER_BOUND_MS is a failure. */
export function send(baseUrl: string, path: string, init: RequestInit): Promise<HttpOutcome> {
  return answerWithin(
    `${init.method ?? 'GET'} ${path.length > 80 ? `${path.slice(0, 80)}…` : path}`,
    (async () => {
      const response = await fetch(`${baseUrl}${path}`, init);
      return {
        path,
        status: response.status,
        headers: response.headers,
        body: Buffer.from(await response.arrayBuffer()),
      };
    })(),
  );
}

/** A well-formed detect with the test credential: after fuzzing, the gateway must still serve it. */
export function detectJpeg(baseUrl: string, image: Buffer): Promise<HttpOutcome> {
  return send(baseUrl, '/v1/models/nanodet/detect', {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
    body: image,
  });
}

/**
 * The malformed-input contract of every HTTP answer: a success, or a 4xx whose JSON body names the
 * problem in the shape of its route family (docs/api.md, "Errors"). Never a 5xx.
 */
export function expectSuccessOrClientError(outcome: HttpOutcome, allowed?: number[]): void {
  if (outcome.status >= 500 || (allowed && !allowed.includes(outcome.status))) {
    throw new Error(`${outcome.path} answered ${outcome.status}: ${preview(outcome.body)}`);
  }
  if (outcome.status >= 400) expectErrorBody(outcome);
  expectSecurityHeaders(outcome);
}

/** `{"error": "<message>"}` on /v2 (KServe), `{"error": {"code", "message"}}` elsewhere. */
export function expectErrorBody(outcome: HttpOutcome): string {
  const where = `${outcome.path} (${outcome.status})`;
  if (!/^application\/json/.test(outcome.headers.get('content-type') ?? '')) {
    throw new Error(`${where}: error body is not JSON: ${outcome.headers.get('content-type')}`);
  }
  const body = JSON.parse(outcome.body.toString('utf8')) as { error?: unknown };
  const error = body.error;
  let message: unknown;
  if (outcome.path.startsWith('/v2')) {
    message = error;
  } else {
    const typed = error as { code?: unknown; message?: unknown } | undefined;
    if (typeof typed?.code !== 'string' || !(typed.code in ERROR_KINDS)) {
      throw new Error(`${where}: error code missing or unknown: ${preview(outcome.body)}`);
    }
    message = typed.message;
  }
  if (typeof message !== 'string' || message.trim().length < 8 || message === 'internal error') {
    throw new Error(
      `${where}: error message does not say what was wrong: ${preview(outcome.body)}`,
    );
  }
  return message;
}

/** Headers every HTTP answer carries, errors included (gateway/src/http-server/security-headers.ts). */
export function expectSecurityHeaders(outcome: HttpOutcome): void {
  const expected: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  };
  for (const [name, value] of Object.entries(expected)) {
    if (outcome.headers.get(name) !== value) {
      throw new Error(
        `${outcome.path} (${outcome.status}): header ${name} is ${JSON.stringify(outcome.headers.get(name))}, expected ${value}`,
      );
    }
  }
}

function preview(body: Buffer): string {
  const text = body.toString('utf8');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
