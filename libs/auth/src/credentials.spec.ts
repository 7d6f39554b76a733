import { CredentialRefusal } from './credential-refusal';
import { headerValues, presentedCredential, rawHeaderValues } from './credentials';

const KEY = `tcg_AbCdEfGhIjKl_${'a'.repeat(43)}`;
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

describe('presentedCredential', () => {
  it('reads x-api-key, or a Bearer value telling a JWT from an API key by its shape', () => {
    expect(presentedCredential([KEY], [])).toEqual({ kind: 'api-key', value: KEY });
    expect(presentedCredential([], [`Bearer ${KEY}`])).toEqual({ kind: 'api-key', value: KEY });
    expect(presentedCredential([], [`bearer  ${JWT}`])).toEqual({ kind: 'jwt', value: JWT });
    expect(presentedCredential([], [])).toBeUndefined();
  });

  it.each([
    [[KEY, KEY], [], 'more than one credential'],
    [[KEY], [`Bearer ${KEY}`], 'more than one credential'],
    [[], [`Basic ${KEY}`], "the authorization header must be 'Bearer <API key or JWT>'"],
    [[], ['Bearer'], "the authorization header must be 'Bearer <API key or JWT>'"],
    [[], ['Bearer a b'], "the authorization header must be 'Bearer <API key or JWT>'"],
  ])('refuses x-api-key %j with authorization %j as 401', (apiKey, authorization, message) => {
    let error: unknown;
    try {
      presentedCredential(apiKey, authorization);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CredentialRefusal);
    expect(error).toMatchObject({
      kind: 'unauthenticated',
      message: expect.stringContaining(message),
    });
    expect((error as CredentialRefusal).message).not.toContain(KEY);
  });

  it('treats a header given once, repeated or absent alike', () => {
    expect(headerValues(undefined)).toEqual([]);
    expect(headerValues('a')).toEqual(['a']);
    expect(headerValues(['a', 'b'])).toEqual(['a', 'b']);
  });

  it('reads every value of a header from Node rawHeaders, whatever its case', () => {
    const raw = [
      'Host',
      'x',
      'Authorization',
      'Bearer a',
      'x-api-key',
      'k',
      'authorization',
      'Bearer b',
    ];
    expect(rawHeaderValues(raw, 'authorization')).toEqual(['Bearer a', 'Bearer b']);
    expect(rawHeaderValues(raw, 'x-api-key')).toEqual(['k']);
    expect(rawHeaderValues(raw, 'cookie')).toEqual([]);
  });
});
