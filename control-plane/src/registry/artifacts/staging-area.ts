import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Files on their way into the artifact store (downloads, checks). Nothing in it outlives a
 * registration, so whatever a killed process left there is removed at start-up.
 */
export class StagingArea {
  constructor(private readonly root: string) {}

  async prepare(): Promise<number> {
    await mkdir(this.root, { recursive: true });
    const leftovers = await readdir(this.root);
    await Promise.all(
      leftovers.map((name) => rm(path.join(this.root, name), { recursive: true, force: true })),
    );
    return leftovers.length;
  }

  /** A fresh path in the staging folder; the caller creates and removes the file. */
  newFile(suffix = ''): string {
    return path.join(this.root, `${randomUUID()}${suffix}`);
  }
}
