import type { SecretHash } from './api-key-hash';
import { KnownGoodDigests } from './known-good-digests';
import { digestOfPresentedKey } from './presented-key-digest';

const stored = (hash: string): SecretHash => ({ kdf: 'scrypt:N=16384,r=8,p=1', salt: 's', hash });

describe('KnownGoodDigests', () => {
  it('matches the digest that passed for that id and stored hash only', () => {
    const known = new KnownGoodDigests();
    known.remember('id1', digestOfPresentedKey('tcg_id1_right'), stored('h1'));
    expect(known.matches('id1', digestOfPresentedKey('tcg_id1_right'), stored('h1'))).toBe(true);
    expect(known.matches('id1', digestOfPresentedKey('tcg_id1_wrong'), stored('h1'))).toBe(false);
    expect(known.matches('id2', digestOfPresentedKey('tcg_id1_right'), stored('h1'))).toBe(false);
    // The record changed under the id: the old digest says nothing about it.
    expect(known.matches('id1', digestOfPresentedKey('tcg_id1_right'), stored('h2'))).toBe(false);
  });

  it('forgets an id (revoked, rotated) and drops the least recently used when full', () => {
    const known = new KnownGoodDigests(2);
    const digest = (id: string) => digestOfPresentedKey(`tcg_${id}_secret`);
    known.remember('a', digest('a'), stored('h'));
    known.remember('b', digest('b'), stored('h'));
    expect(known.matches('a', digest('a'), stored('h'))).toBe(true);
    known.remember('c', digest('c'), stored('h'));
    expect(known.matches('b', digest('b'), stored('h'))).toBe(false);
    expect(known.matches('a', digest('a'), stored('h'))).toBe(true);
    known.forget('a');
    expect(known.matches('a', digest('a'), stored('h'))).toBe(false);
    expect(known.size).toBe(1);
  });
});
