import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Writes `files` (relative path -> contents) under a fresh temporary directory and returns it. */
export async function writeFixture(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'model-repository-'));
  for (const [relative, contents] of Object.entries(files)) {
    const path = join(root, relative);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, contents);
  }
  return root;
}

/** Creates empty directories under `root`. */
export async function makeDirectories(root: string, ...relatives: string[]): Promise<void> {
  for (const relative of relatives) await mkdir(join(root, relative), { recursive: true });
}

export async function removeFixture(root: string | undefined): Promise<void> {
  if (root) await rm(root, { recursive: true, force: true });
}

/** A small, valid ONNX Runtime config; `extra` is appended verbatim. */
export function onnxConfig(name: string, extra = ''): string {
  return `name: "${name}"
platform: "onnxruntime_onnx"
max_batch_size: 4
input [ { name: "images" data_type: TYPE_FP32 format: FORMAT_NCHW dims: [ 3, 32, 32 ] } ]
output [ { name: "scores" data_type: TYPE_FP32 dims: [ -1, 10 ] } ]
${extra}
`;
}
