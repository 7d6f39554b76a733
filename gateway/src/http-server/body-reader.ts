import type { Readable } from 'node:stream';
import { concatenate, runSliced } from '../event-loop/sliced-work';
import { GatewayError, invalidArgument } from '../errors/gateway-error';

/**
 * Reads a request body into one buffer. Fastify's own reader joins the chunks in one Buffer.concat
 * once the body has arrived, which for a 64 MiB body held the event loop 50-110 ms on the two-core
 * test machine; here they are joined in slices. (Not allocated up front from Content-Length: that
 * would let a caller reserve memory with a header and no bytes.)
 * Same refusals as Fastify's reader: over the route's limit, declared or received, 413; a body
 * that does not match its Content-Length, 400; an error of the stream (the body guard's deadline
 * or budget, a client that went away) as it is.
 */
export function readBody(
  payload: Readable,
  contentLength: string | undefined,
  limit: number,
): Promise<Buffer> {
  const declared = contentLength === undefined ? undefined : Number(contentLength);
  if (declared !== undefined && declared > limit) return Promise.reject(tooLarge(limit));
  const chunks: Buffer[] = [];
  let received = 0;
  return new Promise<Buffer>((resolve, reject) => {
    const finish = (error?: Error): void => {
      payload.off('data', onData);
      payload.off('end', onEnd);
      payload.off('error', finish);
      if (error) reject(error);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.byteLength;
      if (received > limit) finish(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = (): void => {
      finish();
      if (declared !== undefined && received !== declared) {
        reject(
          invalidArgument(
            `the request body has ${received} bytes, its content-length says ${declared}`,
          ),
        );
        return;
      }
      runSliced(concatenate(chunks, received)).then(resolve, reject);
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', finish);
    payload.resume();
  });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    'payload_too_large',
    `the request body is too large: this route takes at most ${limit} bytes`,
  );
}
