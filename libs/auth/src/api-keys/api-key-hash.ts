import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt with N=2^14, r=8, p=1 (16 MiB, tens of milliseconds): slow on purpose, so a stolen store
 * cannot be tested against guesses quickly (the secrets are 256 random bits, so this is defence in
 * depth). The parameters are stored with each hash, so they can be raised without invalidating
 * existing keys.
 */
const DEFAULT_PARAMS = { N: 2 ** 14, r: 8, p: 1 } as const;
const HASH_BYTES = 32;
const SALT_BYTES = 16;

/** What a store keeps of a key's secret: never the secret itself. */
export interface SecretHash {
  /** `scrypt:N=<N>,r=<r>,p=<p>` */
  kdf: string;
  /** base64 */
  salt: string;
  /** base64 */
  hash: string;
}

function derive(secret: string, salt: Buffer, params: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128 * N * r bytes; Node's default cap (32 MiB) would refuse raised params.
    const options = { ...params, maxmem: 256 * (params.N ?? 0) * (params.r ?? 0) };
    scrypt(secret, salt, HASH_BYTES, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashSecret(secret: string): Promise<SecretHash> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt, DEFAULT_PARAMS);
  const { N, r, p } = DEFAULT_PARAMS;
  return {
    kdf: `scrypt:N=${N},r=${r},p=${p}`,
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
  };
}

/** Whether `secret` matches `stored`, compared in constant time. */
export async function verifySecret(secret: string, stored: SecretHash): Promise<boolean> {
  const params = parseKdf(stored.kdf);
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await derive(secret, Buffer.from(stored.salt, 'base64'), params);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function parseKdf(kdf: string): ScryptOptions {
  const match = /^scrypt:N=(\d+),r=(\d+),p=(\d+)$/.exec(kdf);
  if (!match) throw new Error(`unknown key derivation '${kdf}' in the API key store`);
  return { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
}
