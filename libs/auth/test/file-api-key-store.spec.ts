import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyStoreContract, record } from './api-key-store-contract';
import { FileApiKeyStore } from '../src/api-keys/file-api-key-store';

describe('FileApiKeyStore', () => {
  const root = mkdtempSync(join(tmpdir(), 'api-key-store-'));
  // A folder that does not exist yet: the store creates it.
  const directory = join(root, 'data', 'gateway');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const open = async () => {
    const store = FileApiKeyStore.inDirectory(directory);
    await store.open();
    return store;
  };
  const fresh = (): Promise<void> => {
    rmSync(directory, { recursive: true, force: true });
    return Promise.resolve();
  };

  describe('the store contract', () => apiKeyStoreContract(open, fresh));

  describe('on disk', () => {
    beforeEach(fresh);

    it('writes api-keys.json readable by its owner only, leaving no temporary file', async () => {
      const store = await open();
      await Promise.all([
        store.insert(record('AAAAAAAAAAAA')),
        store.insert(record('BBBBBBBBBBBB')),
      ]);
      await store.close();
      expect(readdirSync(directory)).toEqual(['api-keys.json']);
      expect(statSync(join(directory, 'api-keys.json')).mode & 0o777).toBe(0o600);
    });

    it('refuses to start on a damaged file, naming it', async () => {
      await open();
      writeFileSync(join(directory, 'api-keys.json'), '{"version": 1, "keys": [{"id": 3}]');
      await expect(open()).rejects.toThrow(
        `the API key store ${join(directory, 'api-keys.json')} is not valid`,
      );
    });

    it('keeps its state when a write fails', async () => {
      const store = await open();
      await store.insert(record('AAAAAAAAAAAA'));
      rmSync(directory, { recursive: true, force: true });
      writeFileSync(directory, 'not a folder');
      await expect(store.insert(record('BBBBBBBBBBBB'))).rejects.toThrow();
      expect((await store.list()).map((r) => r.id)).toEqual(['AAAAAAAAAAAA']);
      rmSync(directory, { force: true });
    });
  });
});
