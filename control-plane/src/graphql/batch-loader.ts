/**
 * DataLoader's idea, in the little this API needs: keys asked for while one GraphQL operation
 * resolves its fields are loaded with one call, and each key once. A loader lives for one request
 * (see RequestScoped), so nothing is cached across callers.
 */
export class BatchLoader<K, V> {
  private readonly promises = new Map<K, Promise<V>>();
  private queued: Map<K, { resolve: (value: V) => void; reject: (error: unknown) => void }> | null =
    null;

  constructor(
    private readonly loadMany: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>,
    /** The value of a key `loadMany` did not return. */
    private readonly missing: V,
  ) {}

  load(key: K): Promise<V> {
    const known = this.promises.get(key);
    if (known !== undefined) return known;
    if (this.queued === null) {
      this.queued = new Map();
      scheduleAfterPromiseJobs(() => this.dispatch());
    }
    const queued = this.queued;
    const promise = new Promise<V>((resolve, reject) => queued.set(key, { resolve, reject }));
    this.promises.set(key, promise);
    return promise;
  }

  private dispatch(): void {
    const batch = this.queued;
    this.queued = null;
    if (batch === null) return;
    this.loadMany([...batch.keys()]).then(
      (values) => {
        for (const [key, { resolve }] of batch) resolve(values.get(key) ?? this.missing);
      },
      (error: unknown) => {
        for (const { reject } of batch.values()) reject(error);
      },
    );
  }
}

/**
 * Runs `callback` once the promise jobs queued now, and those they queue, have run: graphql-js
 * calls sibling resolvers one after another, each through a few awaits (Nest's pipes), and they
 * all ask for their keys within those jobs. The same trick as DataLoader's.
 */
function scheduleAfterPromiseJobs(callback: () => void): void {
  void Promise.resolve().then(() => process.nextTick(callback));
}

/** One value per GraphQL request, keyed by the request's context object and dropped with it. */
export class RequestScoped<T extends object> {
  private readonly values = new WeakMap<object, T>();

  constructor(private readonly create: () => T) {}

  for(requestContext: object): T {
    let value = this.values.get(requestContext);
    if (value === undefined) {
      value = this.create();
      this.values.set(requestContext, value);
    }
    return value;
  }
}
