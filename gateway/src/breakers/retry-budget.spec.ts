import { RetryBudget } from './retry-budget';

describe('RetryBudget', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 1_000_000));

  const retriesAllowed = (budget: RetryBudget, tries: number): number => {
    let allowed = 0;
    for (let i = 0; i < tries; i += 1) if (budget.tryRetry()) allowed += 1;
    return allowed;
  };

  it('allows retries up to the percentage of requests in the window, no more', () => {
    const budget = new RetryBudget({ percent: 10, minPerSecond: 0, windowMs: 10_000 }, clock);
    for (let i = 0; i < 200; i += 1) budget.recordRequest();
    expect(retriesAllowed(budget, 100)).toBe(20);
  });

  it('without requests only the per-second minimum is there, for the whole window', () => {
    const budget = new RetryBudget({ percent: 10, minPerSecond: 2, windowMs: 10_000 }, clock);
    expect(retriesAllowed(budget, 100)).toBe(20); // 2 per second × 10 s
    now += 5_000;
    expect(retriesAllowed(budget, 100)).toBe(0); // still the same window
  });

  it('forgets requests and retries that left the sliding window', () => {
    const budget = new RetryBudget({ percent: 50, minPerSecond: 0, windowMs: 10_000 }, clock);
    for (let i = 0; i < 10; i += 1) budget.recordRequest();
    expect(retriesAllowed(budget, 10)).toBe(5);
    now += 5_000;
    for (let i = 0; i < 10; i += 1) budget.recordRequest();
    expect(retriesAllowed(budget, 10)).toBe(5); // 20 requests, 10 retries in the window
    now += 5_000; // the first 10 requests and their 5 retries left
    expect(retriesAllowed(budget, 10)).toBe(0); // 10 requests, 5 retries: spent
    now += 5_000; // everything left
    for (let i = 0; i < 4; i += 1) budget.recordRequest();
    expect(retriesAllowed(budget, 10)).toBe(2);
  });

  it('a zero budget never retries', () => {
    const budget = new RetryBudget({ percent: 0, minPerSecond: 0, windowMs: 10_000 }, clock);
    for (let i = 0; i < 1000; i += 1) budget.recordRequest();
    expect(budget.tryRetry()).toBe(false);
  });
});
