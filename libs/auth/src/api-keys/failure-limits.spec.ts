import { FailureLimits, type FailureLimitRefusal } from './failure-limits';

const SETTINGS = { failuresPerKey: 3, failuresPerPeer: 5, failureWindowS: 60 };

/** One check that fails: admitted, ended, counted. */
async function fail(limits: FailureLimits, id: string, peer?: string): Promise<void> {
  const admission = await limits.admit(id, peer);
  if ('error' in admission) throw admission.error;
  admission.end();
  await limits.recordFailure(id, peer);
}

async function refusalOf(
  limits: FailureLimits,
  id: string,
  peer?: string,
): Promise<FailureLimitRefusal | undefined> {
  const admission = await limits.admit(id, peer);
  if ('error' in admission) return admission;
  admission.end();
  return undefined;
}

describe('FailureLimits (rate-limiter-flexible on a fake clock)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('refuses a key id past its limit, with the time left, until the window ends', async () => {
    const limits = new FailureLimits(SETTINGS);
    for (let i = 0; i < 3; i += 1) await fail(limits, 'key1', '10.0.0.1');
    jest.advanceTimersByTime(20_000);
    const refusal = await refusalOf(limits, 'key1', '10.0.0.1');
    expect(refusal?.reason).toBe('key_failure_limit');
    expect(refusal?.error.kind).toBe('resource_exhausted');
    expect(refusal?.error.retryAfterMs).toBe(40_000);
    expect(refusal?.error.message).toBe(
      "too many wrong secrets for API key 'key1' (3 in 60 s); try again in 40 s",
    );
    // Another id from the same address is still checked (its own limit is 5).
    expect(await refusalOf(limits, 'key2', '10.0.0.1')).toBeUndefined();
    jest.advanceTimersByTime(40_000);
    expect(await refusalOf(limits, 'key1', '10.0.0.1')).toBeUndefined();
  });

  it('lets an address without failures of its own have a key checked while the id is over its limit', async () => {
    const limits = new FailureLimits(SETTINGS);
    for (let i = 0; i < 3; i += 1) await fail(limits, 'key1', '10.0.0.1');
    expect(await refusalOf(limits, 'key1', '10.0.0.2')).toBeUndefined();
    // Its first wrong secret marks it like any other guesser.
    await fail(limits, 'key1', '10.0.0.2');
    expect((await refusalOf(limits, 'key1', '10.0.0.2'))?.reason).toBe('key_failure_limit');
    // Without an address there is nothing to tell an owner from a guesser by.
    expect((await refusalOf(limits, 'key1'))?.reason).toBe('key_failure_limit');
  });

  it('refuses an address past its limit across key ids', async () => {
    const limits = new FailureLimits(SETTINGS);
    for (let i = 0; i < 5; i += 1) await fail(limits, `key${i}`, '10.0.0.9');
    const refusal = await refusalOf(limits, 'fresh', '10.0.0.9');
    expect(refusal?.reason).toBe('peer_failure_limit');
    expect(refusal?.error.message).toBe(
      'too many failed credential checks from this address (5 in 60 s); try again in 60 s',
    );
    expect(await refusalOf(limits, 'fresh', '10.0.0.10')).toBeUndefined();
  });

  it('counts checks under way, so a burst holds no more places than its failures left', async () => {
    const limits = new FailureLimits(SETTINGS);
    const admitted: (() => void)[] = [];
    for (let i = 0; i < 3; i += 1) {
      const admission = await limits.admit('key1', '10.0.0.1');
      if ('error' in admission) throw admission.error;
      admitted.push(admission.end);
    }
    const fourth = await refusalOf(limits, 'key1', '10.0.0.1');
    expect(fourth?.reason).toBe('key_failure_limit');
    expect(fourth?.error.retryAfterMs).toBe(1000);
    for (const end of admitted) end();
    expect(await refusalOf(limits, 'key1', '10.0.0.1')).toBeUndefined();
  });

  it('says which failure reached a limit, once', async () => {
    const limits = new FailureLimits(SETTINGS);
    const reached: boolean[] = [];
    for (let i = 0; i < 4; i += 1) {
      reached.push((await limits.recordFailure('key1', '10.0.0.1')).keyLimitReached);
    }
    expect(reached).toEqual([false, false, true, false]);
  });
});
