import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ArtifactStore, assertSha256 } from './artifact-store';

/**
 * Artifacts under `<root>/sha256/<first two hex digits>/<digest>`, written by rename so a reader
 * sees a whole file or none. The staging folder must be on the same file system (both live under
 * the data folder), so a put is a rename, never a copy of gigabytes.
 */
export class LocalArtifactStore implements ArtifactStore {
  constructor(private readonly root: string) {}

  private pathOf(sha256: string): string {
    assertSha256(sha256);
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  uriOf(sha256: string): string {
    return pathToFileURL(this.pathOf(sha256)).href;
  }

  async put(stagedFile: string, sha256: string): Promise<void> {
    const target = this.pathOf(sha256);
    if (await this.has(sha256)) {
      await rm(stagedFile, { force: true });
      return;
    }
    await mkdir(path.dirname(target), { recursive: true });
    await rename(stagedFile, target);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(sha256))).isFile();
    } catch {
      return false;
    }
  }

  async copyTo(sha256: string, destination: string): Promise<void> {
    await copyFile(this.pathOf(sha256), destination);
  }
}
