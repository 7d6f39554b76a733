import type { IncomingHttpHeaders } from 'node:http';
import { closeAfterAnswer } from '@http-edge';
import type { FastifyReply } from 'fastify';
import { errorBody, type ErrorCode } from '../errors/control-plane-error';

/** Whether the request says a body follows its headers. */
export function announcesBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length']) > 0;
}

/**
 * Answers a request in an onRequest hook, before its body is read. When a body was announced the
 * connection is closed after the answer, so that Node does not go on reading (and discarding) an
 * unwanted upload on a keep-alive connection.
 */
export function refuseEarly(
  reply: FastifyReply,
  status: number,
  code: ErrorCode,
  message: string,
): FastifyReply {
  if (announcesBody(reply.request.headers)) closeAfterAnswer(reply.request.raw, reply.raw);
  return reply.code(status).send(errorBody(code, message));
}
