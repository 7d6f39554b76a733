import { readFile } from 'node:fs/promises';

/** Triton's label file: one label per line; a trailing newline and CRLF endings are tolerated. */
export function parseLabels(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export async function readLabels(file: string): Promise<string[]> {
  return parseLabels(await readFile(file, 'utf8'));
}
