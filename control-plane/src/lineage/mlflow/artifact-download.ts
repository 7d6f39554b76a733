/**
 * Streams an artifact answer to disk chunk by chunk (memory stays at one chunk whatever the file
 * size), into a temporary sibling that is renamed onto the destination only when complete: a
 * refused, cut or timed-out download leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { ControlPlaneFailure } from '../../errors/control-plane-error';
import { type OpenAnswer } from './mlflow-http';

export interface StreamTarget {
  destinationFile: string;
  maxBytes: number;
  /** "artifact \"model/model.onnx\" of run abc", for messages. */
  what: string;
}

/** Writes the body to `destinationFile`; resolves with the byte count. */
export async function streamToFile(answer: OpenAnswer, target: StreamTarget): Promise<number> {
  const { destinationFile, maxBytes, what } = target;
  const tooLarge = (size?: number): ControlPlaneFailure =>
    new ControlPlaneFailure(
      'BAD_USER_INPUT',
      `${what} is ${size === undefined ? 'larger than' : `${size} bytes, more than`} the download limit of ${maxBytes} bytes`,
    );
  const declared = Number(answer.response.headers.get('content-length') ?? NaN);
  const reader = answer.body.getReader();
  if (declared > maxBytes) {
    answer.close();
    await reader.cancel().catch(() => undefined);
    throw tooLarge(declared);
  }

  const partial = path.join(
    path.dirname(destinationFile),
    `.${path.basename(destinationFile)}.${randomBytes(6).toString('hex')}.partial`,
  );
  const file = await open(partial, 'wx');
  let written = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read().catch((error: unknown) => {
        throw answer.failure(error);
      });
      if (done) break;
      answer.touch();
      written += value.byteLength;
      // Counted as well as declared: a server may send no length, or more than it declared.
      if (written > maxBytes) throw tooLarge();
      await file.write(value);
    }
    await file.close();
    await rename(partial, destinationFile);
    return written;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  } finally {
    answer.close();
    await reader.cancel().catch(() => undefined);
  }
}
