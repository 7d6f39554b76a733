import { isSecretField, redact, redactText } from './log-redaction';

describe('log redaction', () => {
  it.each([
    'authorization',
    'Authorization',
    'proxy-authorization',
    'x-api-key',
    'api_key',
    'apiKey',
    'apikey',
    'privateKey',
    'key',
    'cookie',
    'set-cookie',
    'password',
    'accessToken',
    'refresh_token',
    'TOKEN',
    'clientSecret',
    'GATEWAY_JWT_SECRET',
  ])('treats %s as a secret field', (name) => {
    expect(isSecretField(name)).toBe(true);
  });

  it.each(['keyId', 'monkey', 'tenant', 'scopes', 'content-type', 'keyPrefix', 'model'])(
    'keeps %s',
    (name) => {
      expect(isSecretField(name)).toBe(false);
    },
  );

  it('scrubs API keys, bearer values and JWTs inside text, keeping the key id', () => {
    expect(
      redactText(
        'key tcg_AbCdEfGh1234_tkxgIWMDJQGZxB-hJkmWcx-cB40nRxXn5G3984mz7l0 and Bearer abc.def/ghi= and eyJhbGciOi.eyJzdWIi.sig',
      ),
    ).toBe('key tcg_AbCdEfGh1234_[Redacted] and Bearer [Redacted] and [Redacted]');
  });

  it('copies without modifying, survives cycles, summarises binary data and deep graphs', () => {
    const headers = { 'x-api-key': 'secret-value', accept: '*/*' };
    const record: Record<string, unknown> = { headers, size: 10n, body: new Uint8Array(2048) };
    record.self = record;
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 20; i += 1) deep = { next: deep };
    record.deep = deep;

    const copy = redact(record) as Record<string, unknown>;
    expect(headers['x-api-key']).toBe('secret-value');
    expect(copy).toMatchObject({
      headers: { 'x-api-key': '[Redacted]', accept: '*/*' },
      size: '10',
      body: '[Uint8Array 2048 bytes]',
      self: '[Circular]',
    });
    expect(JSON.stringify(copy)).toContain('[Object]');
  });

  it('keeps shared (non-circular) references', () => {
    const shared = { model: 'nanodet' };
    expect(redact({ a: shared, b: shared })).toEqual({ a: shared, b: shared });
  });
});
