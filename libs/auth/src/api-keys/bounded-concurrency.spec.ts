import { BoundedConcurrency } from './bounded-concurrency';

describe('BoundedConcurrency', () => {
  it('runs at most `slots` at once, queues up to `maxWaiting`, refuses beyond at once', async () => {
    const changes: [number, number][] = [];
    const gate = new BoundedConcurrency(1, 2, (running, waiting) =>
      changes.push([running, waiting]),
    );
    const first = gate.acquire();
    const second = gate.acquire();
    const third = gate.acquire();
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(third).toBeDefined();
    expect(gate.acquire()).toBeUndefined();
    expect([gate.running, gate.waiting]).toEqual([1, 2]);

    const order: string[] = [];
    void second?.then(() => order.push('second'));
    void third?.then(() => order.push('third'));
    const release = await first!;
    release();
    release(); // twice gives back one slot
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual(['second']);
    expect([gate.running, gate.waiting]).toEqual([1, 1]);
    (await second!)();
    (await third!)();
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
    expect(changes.at(-1)).toEqual([0, 0]);
    expect(Math.max(...changes.map(([running]) => running))).toBe(1);
  });

  it('with no waiting room refuses as soon as every slot is taken', () => {
    const gate = new BoundedConcurrency(2, 0);
    expect(gate.acquire()).toBeDefined();
    expect(gate.acquire()).toBeDefined();
    expect(gate.acquire()).toBeUndefined();
  });
});
