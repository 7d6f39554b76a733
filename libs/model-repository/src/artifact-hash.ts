import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ArtifactDigest {
  sha256: string;
  sizeBytes: number;
}

/** sha256 of a file, streamed (model files can be gigabytes). */
export async function sha256File(file: string): Promise<ArtifactDigest> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    sizeBytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

/**
 * Digest of a directory artifact (a SavedModel, an ensemble's version directory): the sha256 of a
 * manifest with one line `<sha256 of file>  <relative/posix/path>\n` per regular file, sorted by
 * path in code-unit order — the same bytes `LC_ALL=C` `find . -type f | sort | xargs sha256sum`
 * prints without the `./`. Symbolic links to files are followed, to directories skipped.
 */
export async function sha256Directory(directory: string): Promise<ArtifactDigest> {
  const files = (await listFiles(directory, '')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const manifest = createHash('sha256');
  let sizeBytes = 0;
  for (const relative of files) {
    const digest = await sha256File(join(directory, relative));
    manifest.update(`${digest.sha256}  ${relative}\n`);
    sizeBytes += digest.sizeBytes;
  }
  return { sha256: manifest.digest('hex'), sizeBytes };
}

/** A file or a directory artifact, whichever `path` is. */
export async function sha256Artifact(path: string): Promise<ArtifactDigest> {
  return (await stat(path)).isDirectory() ? sha256Directory(path) : sha256File(path);
}

async function listFiles(root: string, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(root, prefix))) {
    const relative = prefix === '' ? entry : `${prefix}/${entry}`;
    const full = join(root, relative);
    const link = await lstat(full);
    if (link.isDirectory()) found.push(...(await listFiles(root, relative)));
    else if (link.isFile() || (link.isSymbolicLink() && (await stat(full)).isFile()))
      found.push(relative);
  }
  return found;
}
