import { unauthenticated } from './credential-refusal';

/** What a caller presented, before anything is checked. */
export interface PresentedCredential {
  kind: 'api-key' | 'jwt';
  value: string;
}

/** Three base64url parts separated by dots: a compact JWS. API keys (`tcg_...`) have no dots. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const BEARER = /^Bearer +(\S+) *$/i;

export const CREDENTIAL_HINT =
  "send an API key as 'x-api-key: <key>' or 'authorization: Bearer <key or JWT>'";

/**
 * The credential in `x-api-key` or `authorization: Bearer ...` (HTTP headers or gRPC metadata, as
 * strings), or undefined when neither is there. Ambiguous or malformed headers are refused.
 */
export function presentedCredential(
  apiKey: readonly string[],
  authorization: readonly string[],
): PresentedCredential | undefined {
  if (apiKey.length + authorization.length > 1) {
    throw unauthenticated(
      'more than one credential: send one x-api-key or one authorization header, not several',
    );
  }
  if (apiKey.length === 1) return { kind: 'api-key', value: apiKey[0].trim() };
  if (authorization.length === 0) return undefined;
  const bearer = BEARER.exec(authorization[0]);
  if (!bearer) {
    throw unauthenticated("the authorization header must be 'Bearer <API key or JWT>'");
  }
  return { kind: JWT_SHAPE.test(bearer[1]) ? 'jwt' : 'api-key', value: bearer[1] };
}

/**
 * Every value of header `name` as the caller sent it, from Node's `rawHeaders` ([name, value, ...]):
 * Node keeps only the first of repeated `authorization` headers and joins repeated unknown ones
 * (`x-api-key`) with ", ", so both would hide a second credential that must be refused.
 */
export function rawHeaderValues(rawHeaders: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index].toLowerCase() === name) values.push(rawHeaders[index + 1]);
  }
  return values;
}

/** A Node header value (absent, one, or repeated) as a list. */
export function headerValues(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
