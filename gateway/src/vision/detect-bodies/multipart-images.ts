import type { Readable } from 'node:stream';
import { Busboy, type BusboyFileStream, type BusboyInstance } from '@fastify/busboy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError, invalidArgument } from '../../errors/gateway-error';
import { quoted, truncated } from '../../errors/quoted-value';
import { concatenate, runSliced } from '../../event-loop/sliced-work';
import { readWholeBody } from '../../http-server/configure-fastify';
import {
  aboutImage,
  DetectImages,
  IMAGE_TYPES,
  partLabel,
  tooManyImages,
  type CarriedImage,
} from './detect-images';

/** The detect routes: only they read multipart bodies as images. */
const DETECT_ROUTE = /\/detect$/;
/** Headers one part may carry (Content-Disposition, Content-Type, a few more at most). */
const MAX_PART_HEADERS = 16;
/** Longest field name kept; longer ones are cut (they only name the part in errors). */
const MAX_FIELD_NAME_BYTES = 200;

export interface MultipartLimits {
  /** Image parts one call may carry (GATEWAY_DETECT_MAX_IMAGES). */
  maxImages: number;
  /** The whole body, and so each part (GATEWAY_MAX_BODY_BYTES, the detect routes' body limit). */
  maxBodyBytes: number;
}

/**
 * Reads `multipart/form-data` bodies of the detect routes as they stream in (@fastify/busboy,
 * the parser @fastify/multipart is built on; that plugin reads `request.raw` itself, past the body
 * guard's budget and deadline, so it is not used): every limit is checked before the bytes it
 * bounds are held, and the first broken one stops the read. Other routes read such a body as
 * bytes, as every other content type.
 */
export function registerMultipartImages(fastify: FastifyInstance, limits: MultipartLimits): void {
  fastify.addContentTypeParser('multipart/form-data', (request: FastifyRequest, payload, done) => {
    const read = DETECT_ROUTE.test(request.routeOptions.url ?? '')
      ? readMultipartImages(request, payload, limits)
      : readWholeBody(request, payload, limits.maxBodyBytes);
    read.then(
      (body) => done(null, body),
      (error: Error) => done(error),
    );
  });
}

/** A part being received: its chunks, until it ends. */
interface PartInProgress {
  label: string;
  chunks: Buffer[];
  bytes: number;
}

export function readMultipartImages(
  request: FastifyRequest,
  payload: Readable,
  { maxImages, maxBodyBytes }: MultipartLimits,
): Promise<DetectImages> {
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    // Images are compressed already; inflating a multipart stream part by part gains nothing.
    return Promise.reject(
      new GatewayError(
        'unsupported_media_type',
        `content-encoding ${quoted(encoding)} is not supported with multipart/form-data; send the parts uncompressed`,
      ),
    );
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) return Promise.reject(bodyTooLarge(maxBodyBytes));

  let parser: BusboyInstance;
  try {
    parser = Busboy({
      headers: { ...request.headers, 'content-type': request.headers['content-type'] ?? '' },
      // Every part is an image or refused: a part without a filename is not read as a text field.
      isPartAFile: () => true,
      limits: {
        files: maxImages,
        parts: maxImages,
        fileSize: maxBodyBytes,
        headerPairs: MAX_PART_HEADERS,
        fieldNameSize: MAX_FIELD_NAME_BYTES,
      },
    });
  } catch (error) {
    return Promise.reject(malformed(error));
  }

  return new Promise<DetectImages>((resolve, reject) => {
    const finished: PartInProgress[] = [];
    let open = 0;
    let seen = 0;
    let ended = false;
    let settled = false;
    let received = 0;
    const fail = (error: GatewayError): void => {
      if (settled) return;
      settled = true;
      payload.off('data', countBytes);
      payload.unpipe(parser);
      parser.removeAllListeners();
      // Still listening, so a late parser error is not an uncaught one.
      parser.on('error', () => undefined);
      reject(error);
    };
    const finishIfDone = (): void => {
      if (settled || !ended || open > 0) return;
      if (finished.length === 0) {
        fail(
          invalidArgument('the multipart body has no image parts; send each image as a file part'),
        );
        return;
      }
      settled = true;
      joinParts(finished).then((images) => resolve(new DetectImages(images)), reject);
    };
    const countBytes = (chunk: Buffer): void => {
      received += chunk.byteLength;
      if (received > maxBodyBytes) fail(bodyTooLarge(maxBodyBytes));
    };

    parser.on(
      'file',
      (field: string, stream: BusboyFileStream, filename: string, _enc: string, type: string) => {
        const part: PartInProgress = {
          label: partLabel(++seen, field, filename),
          chunks: [],
          bytes: 0,
        };
        const declaredType = (type ?? '').split(';')[0].trim().toLowerCase();
        if (!IMAGE_TYPES.has(declaredType) && declaredType !== 'application/octet-stream') {
          stream.on('error', () => undefined);
          stream.resume();
          fail(
            aboutImage(
              part.label,
              new GatewayError(
                'unsupported_media_type',
                `content-type ${declaredType ? quoted(declaredType) : '(none)'} is not an image; send image/jpeg, image/png or image/webp parts`,
              ),
            ),
          );
          return;
        }
        open += 1;
        // A body cut off inside a part errors the part's stream (and unlistened, the process).
        stream.on('error', (error: Error) => fail(malformed(error)));
        stream.on('data', (chunk: Buffer) => {
          part.chunks.push(chunk);
          part.bytes += chunk.byteLength;
        });
        stream.on('limit', () => fail(aboutImage(part.label, bodyTooLarge(maxBodyBytes))));
        stream.on('end', () => {
          open -= 1;
          if (part.bytes === 0) {
            fail(aboutImage(part.label, invalidArgument('the part is empty')));
            return;
          }
          finished.push(part);
          finishIfDone();
        });
      },
    );
    parser.on('filesLimit', () => fail(tooManyImages(maxImages)));
    parser.on('partsLimit', () => fail(tooManyImages(maxImages)));
    parser.on('error', (error: unknown) => fail(malformed(error)));
    parser.on('finish', () => {
      ended = true;
      finishIfDone();
    });
    payload.on('data', countBytes);
    // The body guard's refusals (deadline, budget) and a caller that went away, as they are.
    payload.on('error', (error: Error) =>
      fail(error instanceof GatewayError ? error : malformed(error)),
    );
    payload.pipe(parser);
  });
}

/** Each part's chunks as one buffer, copied in slices (a part may be tens of megabytes). */
async function joinParts(parts: readonly PartInProgress[]): Promise<CarriedImage[]> {
  const images: CarriedImage[] = [];
  for (const part of parts) {
    images.push({
      label: part.label,
      bytes: await runSliced(concatenate(part.chunks, part.bytes)),
    });
  }
  return images;
}

function bodyTooLarge(limit: number): GatewayError {
  return new GatewayError(
    'payload_too_large',
    `the request body is too large: this route takes at most ${limit} bytes`,
  );
}

function malformed(error: unknown): GatewayError {
  const message = error instanceof Error ? error.message : String(error);
  return invalidArgument(`the multipart body is malformed: ${truncated(message, 200)}`);
}
