import { formatApiKey, generateApiKey, parseApiKey } from './api-key-format';

describe('API key format', () => {
  it('generates tcg_<12 base62 id>_<43 base64url secret> keys that parse back', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const { id, secret, key } = generateApiKey();
      expect(key).toMatch(/^tcg_[0-9A-Za-z]{12}_[A-Za-z0-9_-]{43}$/);
      expect(parseApiKey(key)).toEqual({ id, secret });
      seen.add(id);
    }
    expect(seen.size).toBe(200);
  });

  it('splits at the id even when the secret holds underscores', () => {
    const secret = `_${'a'.repeat(20)}_${'b'.repeat(21)}`;
    expect(parseApiKey(formatApiKey('AbCdEfGhIjKl', secret))).toEqual({
      id: 'AbCdEfGhIjKl',
      secret,
    });
  });

  it.each([
    ['', 'empty'],
    ['tcg_short_' + 'a'.repeat(43), 'id too short'],
    ['tcg_AbCdEfGhIjKl_' + 'a'.repeat(42), 'secret too short'],
    ['xyz_AbCdEfGhIjKl_' + 'a'.repeat(43), 'wrong prefix'],
    ['tcg_AbCdEfGh-jKl_' + 'a'.repeat(43), 'id not base62'],
    ['tcg_AbCdEfGhIjKl_' + 'a'.repeat(42) + '=', 'secret not base64url'],
    [' tcg_AbCdEfGhIjKl_' + 'a'.repeat(43), 'leading space'],
  ])('refuses %j (%s)', (value) => {
    expect(parseApiKey(value)).toBeUndefined();
  });
});
