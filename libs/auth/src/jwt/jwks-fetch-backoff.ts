import type { FetchImplementation } from 'jose';

/** A JWKS fetch refused without a request: the last one failed a moment ago. */
export class JwksBackingOff extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`the JWKS failed a moment ago; next fetch in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'JwksBackingOff';
  }
}

/**
 * The fetch jose's remote JWKS uses, with a pause after a failure. jose re-fetches on every token
 * while it holds no usable key set (never fetched, or older than its cache age) and on an unknown
 * `kid` once its cooldown since the last *successful* fetch has passed, so while the JWKS is down or
 * answering errors, each token would make a request (up to 5 s each) to the identity provider.
 * Here a failure stops fetches for `pauseMs`: tokens meanwhile are answered 503 at once.
 */
export class JwksFetchBackoff {
  private pausedUntil = 0;

  constructor(
    private readonly pauseMs: number,
    private readonly now: () => number = Date.now,
    private readonly fetchJwks: FetchImplementation = (url, options) => fetch(url, options),
  ) {}

  readonly fetch: FetchImplementation = async (url, options) => {
    const wait = this.pausedUntil - this.now();
    if (wait > 0) throw new JwksBackingOff(wait);
    try {
      const response = await this.fetchJwks(url, options);
      if (response.status !== 200) this.pause();
      return response;
    } catch (error) {
      this.pause();
      throw error;
    }
  };

  /** How long fetches stay refused; at least a second, for Retry-After. */
  get retryAfterMs(): number {
    return Math.max(1000, this.pausedUntil - this.now());
  }

  private pause(): void {
    this.pausedUntil = this.now() + this.pauseMs;
  }
}
