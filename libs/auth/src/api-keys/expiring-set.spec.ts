import { ExpiringSet } from './expiring-set';

describe('ExpiringSet', () => {
  let now = 1_000;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000;
  });

  it('remembers a value for its TTL, then forgets it', () => {
    const set = new ExpiringSet(5000, 10, clock);
    set.add('a');
    now += 4999;
    expect(set.has('a')).toBe(true);
    now += 1;
    expect(set.has('a')).toBe(false);
    expect(set.size).toBe(0);
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const set = new ExpiringSet(5000, 3, clock);
    for (const value of ['1', '2', '3', '4']) set.add(value);
    expect(set.size).toBe(3);
    expect(set.has('1')).toBe(false);
    expect(set.has('4')).toBe(true);
  });

  it('forgets on request, and remembers nothing with a TTL of 0', () => {
    const set = new ExpiringSet(5000, 10, clock);
    set.add('a');
    set.delete('a');
    expect(set.has('a')).toBe(false);
    const off = new ExpiringSet(0, 10, clock);
    off.add('a');
    expect(off.has('a')).toBe(false);
  });
});
