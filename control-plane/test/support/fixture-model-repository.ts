import { createHash } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { REPOSITORY_ROOT } from './typescript-process';

export interface FixtureModelRepository {
  root: string;
  artifactPath: string;
  artifactSha256: string;
  artifactSizeBytes: number;
  replaceArtifact(contents: string): Promise<string>;
}

/**
 * A copy of the real nanodet model directory with a tiny placeholder instead of the ONNX file:
 * the registry only hashes artifacts, so its bytes do not matter.
 */
export async function createFixtureModelRepository(root: string): Promise<FixtureModelRepository> {
  const source = path.join(REPOSITORY_ROOT, 'triton-models/nanodet');
  const model = path.join(root, 'nanodet');
  await mkdir(path.join(model, '1'), { recursive: true });
  await copyFile(path.join(source, 'config.pbtxt'), path.join(model, 'config.pbtxt'));
  await copyFile(path.join(source, 'labels.txt'), path.join(model, 'labels.txt'));
  const artifactPath = path.join(model, '1', 'model.onnx');
  const replaceArtifact = async (contents: string): Promise<string> => {
    await writeFile(artifactPath, contents);
    return createHash('sha256').update(contents).digest('hex');
  };
  const placeholder = 'placeholder onnx bytes';
  return {
    root,
    artifactPath,
    artifactSha256: await replaceArtifact(placeholder),
    artifactSizeBytes: Buffer.byteLength(placeholder),
    replaceArtifact,
  };
}
