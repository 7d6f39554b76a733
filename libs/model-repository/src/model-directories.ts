import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The model folders of a repository, sorted: its subdirectories (symbolic links to directories
 * too), hidden ones left out as Triton leaves them out. Throws when `root` cannot be read.
 */
export async function listModelDirectories(root: string): Promise<string[]> {
  const names: string[] = [];
  for (const name of (await readdir(root)).sort()) {
    if (!name.startsWith('.') && (await isDirectory(join(root, name)))) names.push(name);
  }
  return names;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
