import { randomBytes, randomInt } from 'node:crypto';

/** Every key starts with this, so secret scanners and people can tell what leaked. */
export const API_KEY_PREFIX = 'tcg_';
/** Length of the lookup id: 12 base62 characters, about 71 bits, never secret. */
export const API_KEY_ID_LENGTH = 12;
/** Random bytes behind the secret part (base64url, 43 characters). */
export const API_KEY_SECRET_BYTES = 32;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// The id is base62 (no '_'), so the first '_' after it ends it even though base64url secrets may hold '_'.
const KEY_PATTERN = new RegExp(
  `^${API_KEY_PREFIX}([0-9A-Za-z]{${API_KEY_ID_LENGTH}})_([A-Za-z0-9_-]{43,128})$`,
);

/** A presented key split into its lookup id and its secret. */
export interface ParsedApiKey {
  id: string;
  secret: string;
}

/** `tcg_<id>_<secret>` parsed, or undefined when the value is not shaped like a key. */
export function parseApiKey(value: string): ParsedApiKey | undefined {
  const match = KEY_PATTERN.exec(value);
  return match ? { id: match[1], secret: match[2] } : undefined;
}

/** A new random key; the caller shows it once and stores only its hash. */
export function generateApiKey(): ParsedApiKey & { key: string } {
  let id = '';
  for (let i = 0; i < API_KEY_ID_LENGTH; i += 1) id += BASE62[randomInt(BASE62.length)];
  const secret = randomBytes(API_KEY_SECRET_BYTES).toString('base64url');
  return { id, secret, key: formatApiKey(id, secret) };
}

export function formatApiKey(id: string, secret: string): string {
  return `${API_KEY_PREFIX}${id}_${secret}`;
}
