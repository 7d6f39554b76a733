import { maxHeaderSize } from 'node:http';
import { Logger } from '@nestjs/common';
import { parserRefusalHandler, type ParserRefusal, type SecurityHeaders } from '@http-edge';
import { GatewayError } from '../errors/gateway-error';
import { truncated } from '../errors/quoted-value';
import { errorBody } from './http-error.filter';

const logger = new Logger('Http');

export interface ClientErrorSettings {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any request exists (a
 * malformed request line or header, a head over 16 KiB, a head or body past its deadline), in the
 * gateway's JSON shape (the non-KServe one: no request URL is known) with the security headers.
 */
export function clientErrorHandler(
  settings: ClientErrorSettings,
  headers: SecurityHeaders,
): ReturnType<typeof parserRefusalHandler> {
  return parserRefusalHandler((refusal) => {
    const error = gatewayErrorFor(refusal, settings);
    logger.debug(`client error: ${error.message}`);
    return { status: error.httpStatus, body: JSON.stringify(errorBody('', error)) };
  }, headers);
}

function gatewayErrorFor(refusal: ParserRefusal, settings: ClientErrorSettings): GatewayError {
  switch (refusal.kind) {
    case 'body-timeout':
      return new GatewayError(
        'request_timeout',
        `the request did not arrive within GATEWAY_HTTP_REQUEST_TIMEOUT_MS (${settings.requestTimeoutMs} ms)`,
      );
    case 'head-timeout':
      return new GatewayError(
        'request_timeout',
        `the request head did not arrive within GATEWAY_HTTP_HEADERS_TIMEOUT_MS (${settings.headersTimeoutMs} ms)`,
      );
    case 'head-too-large':
      return new GatewayError(
        'headers_too_large',
        `the request head (request line and headers) is over ${maxHeaderSize} bytes`,
      );
    case 'malformed': {
      const reason = refusal.reason === undefined ? '' : `: ${truncated(refusal.reason, 100)}`;
      return new GatewayError(
        'invalid_argument',
        `the request is not valid HTTP/1.1 (${refusal.code}${reason})`,
      );
    }
  }
}
