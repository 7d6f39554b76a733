import { createHash, randomBytes } from 'node:crypto';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDirectories, removeFixture, writeFixture } from '../test/fixture-repository';
import { sha256Artifact, sha256Directory, sha256File } from './artifact-hash';

const sha256 = (data: Uint8Array | string): string =>
  createHash('sha256').update(data).digest('hex');

describe('artifact digests', () => {
  // Bigger than one read-stream chunk (64 KiB), so the streaming path really runs more than once.
  const big = randomBytes(300_000);
  let root: string | undefined;

  beforeAll(async () => {
    root = await writeFixture({
      'big.bin': big,
      'empty.bin': '',
      'saved/saved_model.pb': 'graph',
      'saved/variables/variables.index': 'index',
      'saved/variables/variables.data-00000-of-00001': 'data',
    });
    await makeDirectories(root, 'saved/assets', 'empty-dir');
    await symlink(join(root, 'big.bin'), join(root, 'saved/linked.bin'));
  });
  afterAll(() => removeFixture(root));

  it('hashes a file in chunks to the same digest as hashing its bytes at once', async () => {
    await expect(sha256File(join(root!, 'big.bin'))).resolves.toEqual({
      sha256: sha256(big),
      sizeBytes: big.length,
    });
  });

  it('hashes an empty file', async () => {
    await expect(sha256File(join(root!, 'empty.bin'))).resolves.toEqual({
      sha256: sha256(''),
      sizeBytes: 0,
    });
  });

  it('hashes a directory as its sorted sha256sum-style manifest, following file links', async () => {
    const files: Array<[string, string | Uint8Array]> = [
      ['linked.bin', big],
      ['saved_model.pb', 'graph'],
      ['variables/variables.data-00000-of-00001', 'data'],
      ['variables/variables.index', 'index'],
    ];
    const manifest = files.map(([path, data]) => `${sha256(data)}  ${path}\n`).join('');
    await expect(sha256Directory(join(root!, 'saved'))).resolves.toEqual({
      sha256: sha256(manifest),
      sizeBytes: big.length + 'graph'.length + 'data'.length + 'index'.length,
    });
  });

  it('picks the file or directory digest by what the path is', async () => {
    expect((await sha256Artifact(join(root!, 'big.bin'))).sha256).toBe(sha256(big));
    expect(await sha256Artifact(join(root!, 'empty-dir'))).toEqual({
      sha256: sha256(''),
      sizeBytes: 0,
    });
  });

  it('rejects a missing file with its path', async () => {
    await expect(sha256File(join(root!, 'nope.onnx'))).rejects.toThrow(/nope\.onnx/);
  });
});
