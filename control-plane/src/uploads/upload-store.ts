import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { isUploadId, parseUploadRecord, type UploadRecord } from './upload-record';

const RECORD_SUFFIX = '.json';
const PART_SUFFIX = '.part';

/** What the uploads folder holds: uploads with a sidecar, and files that belong to none. */
export interface UploadListing {
  ids: string[];
  /** Parts whose sidecar is gone, temporary sidecars: absolute paths. */
  strays: string[];
}

/**
 * The uploads folder: `<id>.part` (the bytes so far; its size is the upload's offset, so an append
 * cut by a crash or a dropped connection needs no bookkeeping) and `<id>.json` (the UploadRecord,
 * replaced atomically: written to a temporary file, then renamed over).
 */
export class UploadStore {
  constructor(readonly directory: string) {}

  async prepare(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
  }

  partPath(id: string): string {
    return path.join(this.directory, `${id}${PART_SUFFIX}`);
  }

  private recordPath(id: string): string {
    return path.join(this.directory, `${id}${RECORD_SUFFIX}`);
  }

  /** The record, or undefined when there is none (or it is unreadable: the sweep removes it). */
  async read(id: string): Promise<UploadRecord | undefined> {
    try {
      return parseUploadRecord(await readFile(this.recordPath(id), 'utf8'));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async write(record: UploadRecord): Promise<void> {
    const temporary = `${this.recordPath(record.id)}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, JSON.stringify(record), { flush: true });
    await rename(temporary, this.recordPath(record.id));
  }

  /** The record first: a part never exists without one, except while it is being removed. */
  async create(record: UploadRecord): Promise<void> {
    await this.write(record);
    await writeFile(this.partPath(record.id), '', { flag: 'wx' });
  }

  /** Bytes received so far, or undefined when the part is gone. */
  async partSize(id: string): Promise<number | undefined> {
    try {
      return (await stat(this.partPath(id))).size;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** The record first, so that the id is unknown at once; a part left by a crash is a stray. */
  async remove(id: string): Promise<void> {
    await rm(this.recordPath(id), { force: true });
    await rm(this.partPath(id), { force: true });
  }

  async list(): Promise<UploadListing> {
    const names = await readdir(this.directory);
    const ids = new Set<string>();
    for (const name of names) {
      const id = name.slice(0, -RECORD_SUFFIX.length);
      if (name.endsWith(RECORD_SUFFIX) && isUploadId(id)) ids.add(id);
    }
    const owned = (name: string): boolean =>
      [RECORD_SUFFIX, PART_SUFFIX].some(
        (suffix) => name.endsWith(suffix) && ids.has(name.slice(0, -suffix.length)),
      );
    const strays = names
      .filter((name) => !owned(name))
      .map((name) => path.join(this.directory, name));
    return { ids: [...ids], strays };
  }

  /** Milliseconds since the file last changed, or undefined when it is gone. */
  async ageMs(file: string, now: number): Promise<number | undefined> {
    try {
      return now - (await stat(file)).mtimeMs;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async removeFile(file: string): Promise<void> {
    await rm(file, { force: true, recursive: true });
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
