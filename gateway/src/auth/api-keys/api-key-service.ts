import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  API_KEY_STORE,
  ApiKeyVerification,
  createFirstAdminKey,
  CREDENTIAL_CHECK_OBSERVER,
  ensureBootstrapKey,
  newApiKeyRecord,
  type ApiKeyRecord,
  type ApiKeyStore,
  type Caller,
  type CredentialCheckObserver,
  type NewApiKey,
} from '@auth';
import { GatewayError, notFound } from '../../errors/gateway-error';
import { AUTH_CONFIG, type AuthConfig } from '../auth-config';

export type { NewApiKey };

/** A key as the admin API shows it: never the secret or its hash. */
export interface ApiKeyView {
  id: string;
  tenant: string;
  scopes: string[];
  name?: string;
  createdAt: string;
  revokedAt?: string;
  rotatedFrom?: string;
}

/** A key just created: `key` is shown this once and exists nowhere else. */
export interface IssuedApiKey extends ApiKeyView {
  key: string;
}

/**
 * API keys: verification (api-key-verification.ts: caches, failure limits, bounded scrypt) and
 * management (create, list, revoke, rotate). Revoking or rotating forgets this replica's shortcuts
 * for the key at once; other replicas sharing a Postgres store stop accepting the key within
 * GATEWAY_API_KEY_CACHE_TTL_MS. Logs name key ids only.
 */
@Injectable()
export class ApiKeyService implements OnApplicationShutdown {
  private readonly logger = new Logger('ApiKeys');
  private readonly verification: ApiKeyVerification;

  constructor(
    @Inject(API_KEY_STORE) private readonly store: ApiKeyStore,
    @Inject(AUTH_CONFIG) config: AuthConfig,
    @Inject(CREDENTIAL_CHECK_OBSERVER) observer: CredentialCheckObserver,
  ) {
    this.verification = new ApiKeyVerification(
      store,
      config.apiKeyCacheTtlMs,
      config.apiKeyChecks,
      observer,
    );
  }

  /**
   * The caller a presented key stands for, or a refusal saying why not (never repeating the key):
   * 401, 429 past a failure limit, 503 when checks are saturated. `peer`: the caller's address.
   */
  verify(presented: string, peer?: string): Promise<Caller> {
    return this.verification.verify(presented, peer);
  }

  async create(request: NewApiKey, rotatedFrom?: string): Promise<IssuedApiKey> {
    const { record, key } = await newApiKeyRecord(request, rotatedFrom);
    await this.store.insert(record);
    this.verification.created(record.id);
    this.logger.log(`API key ${record.id} created for tenant ${record.tenant}`);
    return { ...view(record), key };
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.store.list()).map(view);
  }

  async revoke(id: string): Promise<ApiKeyView> {
    const record = await this.store.revoke(id, new Date().toISOString());
    if (!record) throw notFound(`no API key with id '${id}'`);
    this.verification.forget(id);
    this.logger.log(`API key ${id} revoked`);
    return view(record);
  }

  /** A new key with the same tenant, scopes and name; the old one is revoked in the same step. */
  async rotate(id: string): Promise<IssuedApiKey> {
    const old = await this.store.get(id);
    if (!old) throw notFound(`no API key with id '${id}'`);
    const { record, key } = await newApiKeyRecord(old, id);
    const result = await this.store.rotate(id, record, new Date().toISOString());
    if (result === undefined) throw notFound(`no API key with id '${id}'`);
    if (result === 'revoked') {
      throw new GatewayError(
        'conflict',
        `API key '${id}' is revoked and cannot be rotated; create a new key instead`,
      );
    }
    this.verification.forget(id);
    this.verification.created(record.id);
    this.logger.log(`API key ${id} rotated to ${record.id}`);
    return { ...view(record), key };
  }

  /**
   * GATEWAY_BOOTSTRAP_API_KEY: the key exists as an admin key afterwards (created the first time).
   * A key that was revoked through the admin API stays revoked.
   */
  ensureBootstrapKey(key: string): Promise<void> {
    return ensureBootstrapKey(this.store, this.verification, key, 'GATEWAY_BOOTSTRAP_API_KEY');
  }

  /** First start without a bootstrap key: an admin key when the store is empty, else nothing. */
  createFirstAdminKey(): Promise<string | undefined> {
    return createFirstAdminKey(this.store);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

function view(record: ApiKeyRecord): ApiKeyView {
  return {
    id: record.id,
    tenant: record.tenant,
    scopes: record.scopes,
    ...(record.name !== undefined && { name: record.name }),
    createdAt: record.createdAt,
    ...(record.revokedAt !== undefined && { revokedAt: record.revokedAt }),
    ...(record.rotatedFrom !== undefined && { rotatedFrom: record.rotatedFrom }),
  };
}
