import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** Why an append stopped. */
export type AppendEnd =
  /** The body ended within the room it had. */
  | 'body-ended'
  /** The body went on past `maxBytes`: the part holds exactly `maxBytes` more, the rest is unread. */
  | 'overflow'
  /** The deadline fired first; the rest of the body is unread. */
  | 'deadline'
  /** The connection went away mid-body. */
  | 'disconnected';

export interface AppendResult {
  written: number;
  end: AppendEnd;
}

/**
 * Appends `body` to the file at `file`, chunk by chunk as it arrives: the body is paused while a
 * chunk is written, so at most one socket chunk (64 KiB) is held whatever the body's size (the
 * sender's TCP window closes meanwhile). Stops at `maxBytes` (writing the chunk that crosses it only
 * up to the bound), at the deadline, or when the connection goes. What was written stays written,
 * so a cut-off upload resumes from the file's size. Never destroys `body`: the caller still answers.
 */
export async function appendBody(
  file: string,
  body: Readable,
  maxBytes: number,
  deadline: AbortSignal | undefined,
): Promise<AppendResult> {
  const handle = await open(file, 'a');
  let written = 0;
  try {
    const end = await new Promise<AppendEnd>((resolve, reject) => {
      let taken = 0;
      let writing: Promise<void> = Promise.resolve();
      let stopped = false;
      const detach = (): void => {
        stopped = true;
        body.pause();
        body.off('data', onData);
        body.off('end', onEnd);
        body.off('error', onGone);
        body.off('close', onGone);
        deadline?.removeEventListener('abort', onDeadline);
      };
      const stop = (why: AppendEnd): void => {
        if (stopped) return;
        detach();
        writing.then(() => resolve(why), reject);
      };
      const onData = (chunk: Buffer): void => {
        const room = maxBytes - taken;
        const accepted = chunk.length > room ? chunk.subarray(0, room) : chunk;
        taken += accepted.length;
        body.pause();
        writing = writing.then(async () => {
          await writeAll(handle, accepted);
          written += accepted.length;
        });
        if (chunk.length > room) return stop('overflow');
        writing.then(
          () => {
            if (!stopped) body.resume();
          },
          (error: unknown) => {
            if (stopped) return;
            detach();
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      };
      const onEnd = (): void => stop('body-ended');
      const onGone = (): void => stop('disconnected');
      const onDeadline = (): void => stop('deadline');
      if (deadline?.aborted) return stop('deadline');
      deadline?.addEventListener('abort', onDeadline, { once: true });
      body.on('data', onData);
      body.once('end', onEnd);
      body.once('error', onGone);
      body.once('close', onGone);
      body.resume();
    });
    // Acknowledged bytes must survive a crash of the machine, not only of the process.
    await handle.datasync();
    return { written, end };
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset);
    offset += bytesWritten;
  }
}

/** Hex sha256 of a file, streamed through the hash (64 KiB at a time). */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
