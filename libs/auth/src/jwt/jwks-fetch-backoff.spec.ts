import { JwksBackingOff, JwksFetchBackoff } from './jwks-fetch-backoff';

const OPTIONS = {
  headers: new Headers(),
  method: 'GET' as const,
  redirect: 'manual' as const,
  signal: new AbortController().signal,
};

describe('JwksFetchBackoff', () => {
  let now = 1_000;
  let requests = 0;
  let answer: () => Promise<Response>;
  const backoff = () =>
    new JwksFetchBackoff(
      5000,
      () => now,
      () => {
        requests += 1;
        return answer();
      },
    );

  beforeEach(() => {
    now = 1_000;
    requests = 0;
    answer = () => Promise.resolve(new Response('{"keys":[]}', { status: 200 }));
  });

  it('passes fetches through while they succeed', async () => {
    const jwks = backoff();
    await jwks.fetch('http://idp/jwks', OPTIONS);
    await jwks.fetch('http://idp/jwks', OPTIONS);
    expect(requests).toBe(2);
  });

  it.each([
    ['an error status', () => Promise.resolve(new Response('', { status: 500 }))],
    ['a network failure', () => Promise.reject(new TypeError('fetch failed'))],
  ])('after %s, refuses without a request until the pause is over', async (_what, failure) => {
    const jwks = backoff();
    answer = failure;
    await jwks.fetch('http://idp/jwks', OPTIONS).catch(() => undefined);
    expect(requests).toBe(1);
    now += 3000;
    const refused = await jwks.fetch('http://idp/jwks', OPTIONS).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(JwksBackingOff);
    expect((refused as JwksBackingOff).retryAfterMs).toBe(2000);
    expect(jwks.retryAfterMs).toBe(2000);
    expect(requests).toBe(1);
    now += 2000;
    answer = () => Promise.resolve(new Response('{"keys":[]}', { status: 200 }));
    expect((await jwks.fetch('http://idp/jwks', OPTIONS)).status).toBe(200);
    expect(requests).toBe(2);
  });
});
