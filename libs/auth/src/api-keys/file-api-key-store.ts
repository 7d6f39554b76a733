import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store';

const recordSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  scopes: z.array(z.string()),
  name: z.string().optional(),
  secret: z.object({ kdf: z.string(), salt: z.string(), hash: z.string() }),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
  rotatedFrom: z.string().optional(),
});
const fileSchema = z.object({ version: z.literal(1), keys: z.array(recordSchema) });

/**
 * API keys in one JSON file (`api-keys.json` in GATEWAY_DATA_DIR), for a single gateway replica.
 * Each change is written to a temporary file, flushed to disk and renamed over the old one, so a
 * crash leaves either the old or the new file, never half of one; changes are applied one at a time.
 * The file is read once at start: another process writing it is not seen (use Postgres for that).
 */
export class FileApiKeyStore implements ApiKeyStore {
  private keys = new Map<string, ApiKeyRecord>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  static inDirectory(directory: string): FileApiKeyStore {
    return new FileApiKeyStore(join(directory, 'api-keys.json'));
  }

  get description(): string {
    return `file ${this.path}`;
  }

  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    let parsed: z.infer<typeof fileSchema>;
    try {
      parsed = fileSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new Error(`the API key store ${this.path} is not valid: ${(error as Error).message}`);
    }
    this.keys = new Map(parsed.keys.map((record) => [record.id, record]));
  }

  get(id: string): Promise<ApiKeyRecord | undefined> {
    return Promise.resolve(this.keys.get(id));
  }

  list(): Promise<ApiKeyRecord[]> {
    return Promise.resolve([...this.keys.values()]);
  }

  insert(record: ApiKeyRecord): Promise<void> {
    return this.change((keys) => {
      if (keys.has(record.id)) throw new Error(`API key id '${record.id}' exists already`);
      keys.set(record.id, record);
    });
  }

  insertIfEmpty(record: ApiKeyRecord): Promise<boolean> {
    return this.change((keys) => {
      if (keys.size > 0) return false;
      keys.set(record.id, record);
      return true;
    });
  }

  revoke(id: string, at: string): Promise<ApiKeyRecord | undefined> {
    return this.change((keys) => {
      const record = keys.get(id);
      if (!record || record.revokedAt) return record;
      const revoked = { ...record, revokedAt: at };
      keys.set(id, revoked);
      return revoked;
    });
  }

  rotate(
    oldId: string,
    replacement: ApiKeyRecord,
    at: string,
  ): Promise<ApiKeyRecord | 'revoked' | undefined> {
    return this.change((keys) => {
      const old = keys.get(oldId);
      if (!old) return undefined;
      if (old.revokedAt) return 'revoked';
      keys.set(oldId, { ...old, revokedAt: at });
      keys.set(replacement.id, replacement);
      return replacement;
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  /**
   * Applies `mutate` to a copy of the keys, writes the copy, and only then makes it current; one
   * change at a time. Nothing is written when `mutate` changes nothing (it returns before setting).
   */
  private change<T>(mutate: (keys: Map<string, ApiKeyRecord>) => T): Promise<T> {
    const run = async (): Promise<T> => {
      const next = new Map(this.keys);
      const result = mutate(next);
      if (!sameEntries(next, this.keys)) {
        await this.write(next);
        this.keys = next;
      }
      return result;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async write(keys: Map<string, ApiKeyRecord>): Promise<void> {
    const body = JSON.stringify({ version: 1, keys: [...keys.values()] }, null, 2) + '\n';
    const temporary = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const file = await open(temporary, 'w', 0o600);
      try {
        await file.writeFile(body, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    // The rename itself is durable only once the directory entry is flushed.
    const directory = await open(dirname(this.path), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}

function sameEntries(a: Map<string, ApiKeyRecord>, b: Map<string, ApiKeyRecord>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, record] of a) if (b.get(id) !== record) return false;
  return true;
}
