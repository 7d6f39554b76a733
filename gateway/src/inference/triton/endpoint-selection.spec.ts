import { eligibleFor, pickPowerOfTwo, type SelectableEndpoint } from './endpoint-selection';

interface Fake extends SelectableEndpoint {
  id: string;
}

const endpoint = (id: string, outstanding: number, healthy = true, models = ['nanodet']): Fake => ({
  id,
  outstanding,
  healthy,
  readyModels: new Set(models),
});

/** Returns the given numbers in turn, like Math.random would have. */
const sequence = (...values: number[]) => {
  let next = 0;
  return () => values[next++ % values.length];
};

describe('endpoint selection', () => {
  describe('eligibleFor', () => {
    it('keeps healthy endpoints that have the model ready', () => {
      const endpoints = [
        endpoint('a', 0),
        endpoint('b', 0, false),
        endpoint('c', 0, true, ['other']),
        endpoint('d', 0),
      ];
      expect(eligibleFor(endpoints, 'nanodet').map((e) => e.id)).toEqual(['a', 'd']);
      expect(eligibleFor(endpoints, 'other').map((e) => e.id)).toEqual(['c']);
      expect(eligibleFor(endpoints, 'missing')).toEqual([]);
    });
  });

  describe('pickPowerOfTwo', () => {
    it('returns undefined without candidates and the only one when there is one', () => {
      expect(pickPowerOfTwo([], Math.random)).toBeUndefined();
      const only = endpoint('a', 99);
      expect(pickPowerOfTwo([only], () => 0.5)).toBe(only);
    });

    it('of the two drawn, picks the one with fewer outstanding calls', () => {
      const candidates = [endpoint('a', 5), endpoint('b', 1), endpoint('c', 3)];
      // First draw: index floor(0.0*3)=0 (a); second: floor(0.99*2)=1 → skips a → index 2 (c).
      expect(pickPowerOfTwo(candidates, sequence(0, 0.99))?.id).toBe('c');
      // a (5) vs b (1): b.
      expect(pickPowerOfTwo(candidates, sequence(0, 0))?.id).toBe('b');
      // c (3) vs b (1): b.
      expect(pickPowerOfTwo(candidates, sequence(0.99, 0.5))?.id).toBe('b');
    });

    it('never draws the same candidate twice, and keeps the first drawn on a tie', () => {
      const candidates = [endpoint('a', 2), endpoint('b', 2)];
      expect(pickPowerOfTwo(candidates, sequence(0, 0))?.id).toBe('a');
      expect(pickPowerOfTwo(candidates, sequence(0.7, 0))?.id).toBe('b');
    });

    it('tolerates a random source that returns 1', () => {
      const candidates = [endpoint('a', 1), endpoint('b', 0), endpoint('c', 2)];
      expect(pickPowerOfTwo(candidates, () => 1)?.id).toBe('b');
    });

    it('spreads load: the busiest endpoint is never picked, the idlest most often', () => {
      const candidates = [endpoint('idle', 0), endpoint('some', 4), endpoint('busy', 9)];
      let state = 7;
      const lcg = () => {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        return state / 2 ** 32;
      };
      const counts: Record<string, number> = { idle: 0, some: 0, busy: 0 };
      for (let i = 0; i < 3000; i += 1) counts[pickPowerOfTwo(candidates, lcg)!.id] += 1;
      expect(counts.busy).toBe(0);
      // idle wins whenever drawn (2 of 3 pairs), some only against busy (1 of 3).
      expect(counts.idle).toBeGreaterThan(1800);
      expect(counts.some).toBeGreaterThan(800);
    });
  });
});
