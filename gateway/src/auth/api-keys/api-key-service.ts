import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { GatewayError, notFound } from '../../errors/gateway-error';
import type { Caller } from '../caller';
import { AUTH_CONFIG, type AuthConfig } from '../auth-config';
import {
  CREDENTIAL_CHECK_OBSERVER,
  type CredentialCheckObserver,
} from '../credential-check-observer';
import { generateApiKey, parseApiKey } from './api-key-format';
import { hashSecret, verifySecret } from './api-key-hash';
import { API_KEY_STORE, type ApiKeyRecord, type ApiKeyStore } from './api-key-store';
import { ApiKeyVerification } from './api-key-verification';

export interface NewApiKey {
  tenant: string;
  scopes: string[];
  name?: string;
}

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
    const { record, key } = await newRecord(request, rotatedFrom);
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
    const { record, key } = await newRecord(old, id);
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
  async ensureBootstrapKey(key: string): Promise<void> {
    const parsed = parseApiKey(key);
    if (!parsed) throw new Error('GATEWAY_BOOTSTRAP_API_KEY is not of the form tcg_<id>_<secret>');
    const existing = await this.store.get(parsed.id);
    if (existing) {
      if (!(await verifySecret(parsed.secret, existing.secret))) {
        throw new Error(
          `GATEWAY_BOOTSTRAP_API_KEY: the store already holds key id '${parsed.id}' with another secret`,
        );
      }
      if (existing.revokedAt) {
        this.logger.warn(`bootstrap API key ${parsed.id} was revoked; it stays revoked`);
      }
      // Checked just now: its owner never meets the failure limits, even right after a restart.
      this.verification.remember(key, existing);
      return;
    }
    const record: ApiKeyRecord = {
      id: parsed.id,
      tenant: 'admin',
      scopes: ['admin'],
      name: 'bootstrap (GATEWAY_BOOTSTRAP_API_KEY)',
      secret: await hashSecret(parsed.secret),
      createdAt: new Date().toISOString(),
    };
    await this.store.insert(record);
    this.verification.remember(key, record);
    this.logger.log(`bootstrap API key ${parsed.id} stored as an admin key`);
  }

  /** First start without a bootstrap key: an admin key when the store is empty, else nothing. */
  async createFirstAdminKey(): Promise<string | undefined> {
    const { record, key } = await newRecord({
      tenant: 'admin',
      scopes: ['admin'],
      name: 'first start',
    });
    return (await this.store.insertIfEmpty(record)) ? key : undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

async function newRecord(
  request: NewApiKey,
  rotatedFrom?: string,
): Promise<{ record: ApiKeyRecord; key: string }> {
  const { id, secret, key } = generateApiKey();
  const record: ApiKeyRecord = {
    id,
    tenant: request.tenant,
    scopes: [...request.scopes],
    ...(request.name !== undefined && { name: request.name }),
    secret: await hashSecret(secret),
    createdAt: new Date().toISOString(),
    ...(rotatedFrom !== undefined && { rotatedFrom }),
  };
  return { record, key };
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
