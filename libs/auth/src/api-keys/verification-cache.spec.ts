import { VerificationCache } from './verification-cache';

const caller = (tenant: string) => ({ tenant, subject: `key:${tenant}`, scopes: ['admin'] });

describe('VerificationCache', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000;
  });

  it('remembers a verified key for the TTL, then forgets it', () => {
    const cache = new VerificationCache(30_000, 10, clock);
    cache.set('tcg_key_a', 'a', caller('a'));
    expect(cache.get('tcg_key_a')).toEqual(caller('a'));
    expect(cache.get('tcg_key_b')).toBeUndefined();
    now += 29_999;
    expect(cache.get('tcg_key_a')).toEqual(caller('a'));
    now += 1;
    expect(cache.get('tcg_key_a')).toBeUndefined();
  });

  it('evicts every entry of a revoked key id at once', () => {
    const cache = new VerificationCache(30_000, 10, clock);
    cache.set('tcg_key_a', 'a', caller('a'));
    cache.set('tcg_key_b', 'b', caller('b'));
    cache.evictKey('a');
    expect(cache.get('tcg_key_a')).toBeUndefined();
    expect(cache.get('tcg_key_b')).toEqual(caller('b'));
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const cache = new VerificationCache(30_000, 3, clock);
    for (const name of ['1', '2', '3', '4']) cache.set(`k${name}`, name, caller(name));
    expect(cache.size).toBe(3);
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.get('k4')).toEqual(caller('4'));
  });

  it('caches nothing with a TTL of 0', () => {
    const cache = new VerificationCache(0, 10, clock);
    cache.set('k', 'id', caller('t'));
    expect(cache.get('k')).toBeUndefined();
  });
});
