import { hashSecret, verifySecret } from './api-key-hash';

describe('API key secret hashing (scrypt)', () => {
  it('stores a salted scrypt hash, never the secret, and verifies only the same secret', async () => {
    const stored = await hashSecret('the-secret');
    expect(stored.kdf).toBe('scrypt:N=16384,r=8,p=1');
    expect(JSON.stringify(stored)).not.toContain('the-secret');
    expect(Buffer.from(stored.hash, 'base64')).toHaveLength(32);
    expect(await verifySecret('the-secret', stored)).toBe(true);
    expect(await verifySecret('the-secreT', stored)).toBe(false);
    expect(await verifySecret('', stored)).toBe(false);
  });

  it('salts each hash, so one secret never hashes the same twice', async () => {
    const [a, b] = await Promise.all([hashSecret('same'), hashSecret('same')]);
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
  });

  it('verifies hashes made with other stored parameters, and refuses an unknown derivation', async () => {
    const stored = await hashSecret('s');
    // A hash length that differs from the derived one is a mismatch, not an exception.
    expect(await verifySecret('s', { ...stored, hash: Buffer.alloc(16).toString('base64') })).toBe(
      false,
    );
    await expect(verifySecret('s', { ...stored, kdf: 'md5' })).rejects.toThrow(
      "unknown key derivation 'md5'",
    );
  });
});
