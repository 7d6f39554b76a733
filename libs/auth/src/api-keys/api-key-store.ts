import type { SecretHash } from './api-key-hash';

/** One stored API key: everything but the secret, which exists only as a slow hash. */
export interface ApiKeyRecord {
  id: string;
  tenant: string;
  scopes: string[];
  name?: string;
  secret: SecretHash;
  createdAt: string;
  revokedAt?: string;
  /** The key this one replaced by rotation. */
  rotatedFrom?: string;
}

/**
 * Where API keys live: a JSON file by default, the control plane's Postgres when configured.
 * Implementations make each method atomic; the service above them holds no state but a cache.
 */
export interface ApiKeyStore {
  /** Human-readable, for the start-up log: what and where (never credentials). */
  readonly description: string;
  /** Opens the store (creates the file or table if needed). */
  open(): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Fails if the id exists. */
  insert(record: ApiKeyRecord): Promise<void>;
  /** Inserts only when the store holds no key at all; whether it did (first start). */
  insertIfEmpty(record: ApiKeyRecord): Promise<boolean>;
  /** Sets revokedAt if not yet set; the record after, or undefined for an unknown id. */
  revoke(id: string, at: string): Promise<ApiKeyRecord | undefined>;
  /**
   * Revokes `oldId` and inserts `replacement` as one step. Undefined when `oldId` is unknown;
   * 'revoked' when it was already revoked (nothing changes then).
   */
  rotate(
    oldId: string,
    replacement: ApiKeyRecord,
    at: string,
  ): Promise<ApiKeyRecord | 'revoked' | undefined>;
  close(): Promise<void>;
}

export const API_KEY_STORE = Symbol('API_KEY_STORE');
