import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw, type ZlibOptions } from 'node:zlib';
import { GatewayError, invalidArgument } from '../errors/gateway-error';

const DECODERS: Record<string, (body: Buffer, options: ZlibOptions) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  // RFC 9110 says zlib-wrapped; some clients send raw deflate, so fall back to that.
  deflate: (body, options) =>
    promisify(inflate)(body, options).catch(() => promisify(inflateRaw)(body, options)),
};

/**
 * Undoes a request's Content-Encoding (Triton clients compress infer bodies on request), refusing
 * to inflate past the body limit so a small compressed body cannot become gigabytes.
 */
export async function decodeContentEncoding(
  encoding: string | undefined,
  body: Buffer,
  maxBytes: number,
): Promise<Buffer> {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  if (name === 'identity' || name === '') return body;
  const decode = DECODERS[name];
  if (!decode) {
    throw new GatewayError(
      'unsupported_media_type',
      `content-encoding '${name}' is not supported; use gzip or deflate`,
    );
  }
  try {
    return await decode(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new GatewayError(
        'payload_too_large',
        `the ${name} body inflates beyond the ${maxBytes}-byte limit`,
      );
    }
    throw invalidArgument(`the body is not valid ${name} data: ${(error as Error).message}`);
  }
}
