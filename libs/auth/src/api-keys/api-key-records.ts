import { generateApiKey } from './api-key-format';
import { hashSecret } from './api-key-hash';
import type { ApiKeyRecord } from './api-key-store';

export interface NewApiKey {
  tenant: string;
  scopes: string[];
  name?: string;
}

/** A fresh random key for `request`: the record to store, and the key to show once. */
export async function newApiKeyRecord(
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
