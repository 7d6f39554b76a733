import { Logger } from '@nestjs/common';
import { parseApiKey } from './api-key-format';
import { hashSecret, verifySecret } from './api-key-hash';
import { newApiKeyRecord } from './api-key-records';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store';
import type { ApiKeyVerification } from './api-key-verification';

const logger = new Logger('ApiKeys');

/**
 * A bootstrap key from a setting (`setting` names it, for messages): afterwards it exists as an
 * admin key (created the first time). A key that was revoked since stays revoked. Its owner is
 * known good at once, so it never meets the failure limits, even right after a restart.
 */
export async function ensureBootstrapKey(
  store: ApiKeyStore,
  verification: ApiKeyVerification,
  key: string,
  setting: string,
): Promise<void> {
  const parsed = parseApiKey(key);
  if (!parsed) throw new Error(`${setting} is not of the form tcg_<id>_<secret>`);
  const existing = await store.get(parsed.id);
  if (existing) {
    if (!(await verifySecret(parsed.secret, existing.secret))) {
      throw new Error(
        `${setting}: the store already holds key id '${parsed.id}' with another secret`,
      );
    }
    if (existing.revokedAt) {
      logger.warn(`bootstrap API key ${parsed.id} was revoked; it stays revoked`);
    }
    verification.remember(key, existing);
    return;
  }
  const record: ApiKeyRecord = {
    id: parsed.id,
    tenant: 'admin',
    scopes: ['admin'],
    name: `bootstrap (${setting})`,
    secret: await hashSecret(parsed.secret),
    createdAt: new Date().toISOString(),
  };
  await store.insert(record);
  verification.remember(key, record);
  logger.log(`bootstrap API key ${parsed.id} stored as an admin key`);
}

/** First start without a bootstrap key: an admin key when the store is empty, else nothing. */
export async function createFirstAdminKey(store: ApiKeyStore): Promise<string | undefined> {
  const { record, key } = await newApiKeyRecord({
    tenant: 'admin',
    scopes: ['admin'],
    name: 'first start',
  });
  return (await store.insertIfEmpty(record)) ? key : undefined;
}
