import { z } from 'zod';
import { GatewayError, invalidArgument } from '../../errors/gateway-error';
import { quoted, truncated } from '../../errors/quoted-value';
import { runSliced, type SlicedWork } from '../../event-loop/sliced-work';
import { aboutImage, DetectImages, tooManyImages, type CarriedImage } from './detect-images';

/**
 * The JSON detect body: `{"images": [{"b64": "<base64 image>"}, ...]}`. Each image is an object,
 * not a bare string, so that per-image fields can be added later without a second format.
 */
export const jsonImagesSchema = z
  .object({
    images: z
      .array(
        z
          .object({
            b64: z
              .string()
              .describe('the image file (JPEG, PNG or WebP), base64 (standard or URL-safe)'),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

/** Strings longer than this are cut out of the JSON before it is parsed (an image, if anything). */
const LONG_STRING_BYTES = 1024;
/** What is left once the long strings are out: brackets, field names, a few short strings. */
const MAX_SKELETON_BYTES = 64 * 1024;
/** Base64 characters decoded between two turns of the event loop (a multiple of 4). */
const DECODE_SLICE_CHARS = 1024 * 1024;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export interface JsonImagesLimits {
  maxImages: number;
  /** Largest decoded image (the raw body's limit). */
  maxImageBytes: number;
}

/**
 * Reads a base64 JSON detect body without parsing its images as JSON: the long strings are found
 * with Buffer.indexOf and cut out, the small skeleton left is parsed and checked, and each image's
 * length is checked before its base64 is decoded, in slices. (JSON.parse, a string copy and one
 * base64 decode of a 64 MiB body held the event loop about 200 ms on this machine.)
 */
export async function readJsonImages(
  body: Buffer,
  { maxImages, maxImageBytes }: JsonImagesLimits,
): Promise<DetectImages> {
  const { skeleton, spans } = await runSliced(cutLongStrings(body));
  if (skeleton.length > MAX_SKELETON_BYTES) {
    throw invalidArgument(
      `the JSON outside the images' base64 strings is over ${MAX_SKELETON_BYTES} bytes; the body is {"images": [{"b64": "..."}]}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(skeleton.toString('utf8'));
  } catch (error) {
    throw invalidArgument(
      `the body is not valid JSON: ${truncated((error as Error).message, 200)}`,
    );
  }
  const entries = checkShape(json, spans.length, maxImages);
  const images: CarriedImage[] = [];
  let next = 0;
  for (const [index, entry] of entries.entries()) {
    const label = `images[${index}]`;
    const text = entry.b64 === true ? spans[next++] : Buffer.from(entry.b64, 'latin1');
    try {
      images.push({ label, bytes: await runSliced(decodeBase64(text, maxImageBytes)) });
    } catch (error) {
      throw error instanceof GatewayError ? aboutImage(label, error) : error;
    }
  }
  return new DetectImages(images);
}

/** `images` as the schema says, each `b64` a short string or `true` (a long string cut out). */
function checkShape(json: unknown, cutOut: number, maxImages: number): { b64: string | true }[] {
  const shape = z
    .object({ images: z.array(z.object({ b64: z.union([z.string(), z.literal(true)]) }).strict()) })
    .strict();
  if (isObject(json)) {
    const unknown = Object.keys(json).find((key) => key !== 'images');
    if (unknown !== undefined)
      throw invalidArgument(`the body has unknown field ${quoted(unknown)}`);
    if (json.images === undefined) throw invalidArgument("the body needs field 'images'");
  }
  const parsed = shape.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `field '${issue.path.join('.')}'` : 'the body';
    const problem =
      issue.code === 'unrecognized_keys'
        ? `has unknown field '${issue.keys[0]}'`
        : issue.path.at(-1) === 'b64'
          ? 'must be a base64 string'
          : 'does not match {"images": [{"b64": "..."}]}';
    throw invalidArgument(`${where} ${problem}`);
  }
  const { images } = parsed.data;
  if (images.length === 0) throw invalidArgument("field 'images' lists no image");
  if (images.length > maxImages) throw tooManyImages(maxImages);
  // A literal `true` sent as b64 would take the place of a cut-out string: counted apart.
  const marked = images.filter((image) => image.b64 === true).length;
  if (marked !== cutOut) {
    const index = images.findIndex((image) => image.b64 === true);
    throw invalidArgument(`field 'images.${index}.b64' must be a base64 string`);
  }
  return images;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON string's content, its escapes undone (base64 needs none, but `\/` is valid JSON). */
function unescaped(body: Buffer, start: number, end: number): Buffer {
  if (body.indexOf(BACKSLASH, start) === -1 || body.indexOf(BACKSLASH, start) >= end) {
    return body.subarray(start, end);
  }
  try {
    return Buffer.from(JSON.parse(body.toString('utf8', start - 1, end + 1)) as string, 'latin1');
  } catch {
    throw invalidArgument('the body is not valid JSON: a string has a bad escape');
  }
}

/**
 * The body with each string longer than LONG_STRING_BYTES replaced by `true`, and those strings'
 * contents in order. Quotes are found with indexOf (native speed); an escaped quote is one after
 * an odd number of backslashes.
 */
function* cutLongStrings(body: Buffer): SlicedWork<{ skeleton: Buffer; spans: Buffer[] }> {
  const pieces: Buffer[] = [];
  const spans: Buffer[] = [];
  let copiedTo = 0;
  let position = 0;
  for (;;) {
    const open = body.indexOf(QUOTE, position);
    if (open === -1) break;
    let close = open + 1;
    for (;;) {
      close = body.indexOf(QUOTE, close);
      if (close === -1) throw invalidArgument('the body is not valid JSON: a string never ends');
      let backslashes = 0;
      while (body[close - 1 - backslashes] === BACKSLASH) backslashes += 1;
      if (backslashes % 2 === 0) break;
      close += 1;
    }
    if (close - open - 1 > LONG_STRING_BYTES) {
      pieces.push(body.subarray(copiedTo, open), Buffer.from('true'));
      spans.push(unescaped(body, open + 1, close));
      copiedTo = close + 1;
      yield;
    }
    position = close + 1;
  }
  pieces.push(body.subarray(copiedTo));
  return { skeleton: Buffer.concat(pieces), spans };
}

/**
 * Base64 text (standard or URL-safe, padded or not) as bytes. The decoded length is checked
 * against `maxBytes` from the text's length before anything is decoded; Node's decoder skips
 * characters outside the alphabet, so a decoded slice shorter than its text says is refused.
 */
function* decodeBase64(text: Buffer, maxBytes: number): SlicedWork<Buffer> {
  let length = text.length;
  while (length > 0 && text[length - 1] === 0x3d) length -= 1; // '=' padding
  if (length % 4 === 1) throw invalidArgument('b64 is not base64 (its length is impossible)');
  const decodedBytes = Math.floor((length * 3) / 4);
  if (decodedBytes > maxBytes) {
    throw new GatewayError(
      'payload_too_large',
      `the image is ${decodedBytes} bytes; an image may have at most ${maxBytes} (GATEWAY_MAX_BODY_BYTES)`,
    );
  }
  if (decodedBytes === 0) throw invalidArgument('b64 is empty');
  const out = Buffer.allocUnsafe(decodedBytes);
  let written = 0;
  for (let start = 0; start < length; start += DECODE_SLICE_CHARS) {
    const end = Math.min(length, start + DECODE_SLICE_CHARS);
    const slice = text.toString('latin1', start, end);
    const expected = Math.floor(((end - start) * 3) / 4);
    const count = out.write(slice, written, 'base64');
    if (count !== expected)
      throw invalidArgument('b64 is not base64 (a character outside the alphabet)');
    written += count;
    yield;
  }
  return out;
}
