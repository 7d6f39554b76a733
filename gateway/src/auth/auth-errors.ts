import { GatewayError } from '../errors/gateway-error';

/**
 * 401 / UNAUTHENTICATED, with the HTTP challenge RFC 6750 asks for. Messages say what is wrong
 * with a credential, never repeat it.
 */
export function unauthenticated(message: string): GatewayError {
  return new GatewayError('unauthenticated', message, {
    headers: { 'www-authenticate': 'Bearer realm="gateway"' },
  });
}

/** 403 / PERMISSION_DENIED: the caller is known but may not do this. */
export function permissionDenied(message: string): GatewayError {
  return new GatewayError('permission_denied', message);
}
