import type { Transform } from 'node:stream';
import { createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { GatewayError, invalidArgument } from '../errors/gateway-error';
import { concatenate, runSliced } from '../event-loop/sliced-work';

/**
 * Output chunk of the inflater. Node's default (16 KiB) costs a round trip to the thread pool and
 * a callback per 16 KiB: 4,000 of them for a 64 MiB body.
 */
const CHUNK_BYTES = 256 * 1024;

const INFLATERS: Record<string, () => Transform> = {
  gzip: () => createGunzip({ chunkSize: CHUNK_BYTES }),
  'x-gzip': () => createGunzip({ chunkSize: CHUNK_BYTES }),
  deflate: () => createInflate({ chunkSize: CHUNK_BYTES }),
};

/** Thrown when the output passes the limit: the limit's answer, never another attempt. */
class TooLarge extends Error {}

/**
 * Undoes a request's Content-Encoding (Triton clients compress infer bodies on request), refusing
 * to inflate past the body limit so a small compressed body cannot become gigabytes: 413, gzip and
 * deflate alike. The output is gathered in chunks and copied into one buffer in slices, so that
 * even a 64 MiB body never holds the event loop for one large copy.
 */
export async function decodeContentEncoding(
  encoding: string | undefined,
  body: Buffer,
  maxBytes: number,
): Promise<Buffer> {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  if (name === 'identity' || name === '') return body;
  const inflater = INFLATERS[name];
  if (!inflater) {
    throw new GatewayError(
      'unsupported_media_type',
      `content-encoding '${name}' is not supported; use gzip or deflate`,
    );
  }
  try {
    if (name !== 'deflate') return await inflate(inflater(), body, maxBytes);
    // RFC 9110 says zlib-wrapped; some clients send raw deflate, so fall back to that when the
    // body is not zlib data (but not when it is and passes the limit).
    return await inflate(inflater(), body, maxBytes).catch((error: unknown) => {
      if (error instanceof TooLarge) throw error;
      return inflate(createInflateRaw({ chunkSize: CHUNK_BYTES }), body, maxBytes);
    });
  } catch (error) {
    if (error instanceof TooLarge) {
      throw new GatewayError(
        'payload_too_large',
        `the ${name} body inflates beyond the ${maxBytes}-byte limit`,
      );
    }
    throw invalidArgument(`the body is not valid ${name} data: ${(error as Error).message}`);
  }
}

async function inflate(engine: Transform, body: Buffer, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    engine.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > maxBytes) {
        engine.destroy();
        reject(new TooLarge());
      } else {
        chunks.push(chunk);
      }
    });
    engine.on('end', resolve);
    engine.on('error', reject);
    engine.end(body);
  });
  if (chunks.length === 1) return chunks[0];
  return runSliced(concatenate(chunks, total));
}
