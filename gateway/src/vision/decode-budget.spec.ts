import { GatewayError } from '../errors/gateway-error';
import { DecodeBudget } from './decode-budget';

/** A decode that finishes when the test says so. */
function pendingWork(): {
  work: () => Promise<string>;
  finish: () => void;
  started: () => boolean;
} {
  let finish: () => void = () => undefined;
  let started = false;
  const done = new Promise<string>((resolve) => {
    finish = () => resolve('decoded');
  });
  return {
    work: () => {
      started = true;
      return done;
    },
    finish: () => finish(),
    started: () => started,
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('DecodeBudget', () => {
  it('runs decodes side by side while their bytes fit, and queues the next one', async () => {
    const budget = new DecodeBudget(100, 4);
    const a = pendingWork();
    const b = pendingWork();
    const c = pendingWork();
    const runs = [budget.run(60, a.work), budget.run(40, b.work), budget.run(10, c.work)];
    await settle();
    expect([a.started(), b.started(), c.started()]).toEqual([true, true, false]);
    expect(budget.load).toEqual({ bytes: 100, waiting: 1 });
    b.finish();
    await settle();
    expect(c.started()).toBe(true);
    a.finish();
    c.finish();
    await expect(Promise.all(runs)).resolves.toEqual(['decoded', 'decoded', 'decoded']);
    expect(budget.load).toEqual({ bytes: 0, waiting: 0 });
  });

  it('lets a small image pass a large one that does not fit yet', async () => {
    const budget = new DecodeBudget(100, 4);
    const large = pendingWork();
    const waitingLarge = pendingWork();
    const small = pendingWork();
    const runs = [budget.run(90, large.work), budget.run(90, waitingLarge.work)];
    await settle();
    runs.push(budget.run(5, small.work));
    await settle();
    expect([large.started(), waitingLarge.started(), small.started()]).toEqual([true, false, true]);
    large.finish();
    await settle();
    expect(waitingLarge.started()).toBe(true);
    waitingLarge.finish();
    small.finish();
    await Promise.all(runs);
  });

  it('refuses with resource_exhausted, naming the settings, once the queue is full', async () => {
    const budget = new DecodeBudget(100, 1);
    const running = pendingWork();
    const first = budget.run(100, running.work);
    const queued = budget.run(100, pendingWork().work);
    const refused = budget.run(1, pendingWork().work);
    await expect(refused).rejects.toMatchObject({
      kind: 'resource_exhausted',
      message: expect.stringMatching(
        /GATEWAY_IMAGE_DECODE_BUDGET_BYTES.*GATEWAY_IMAGE_DECODE_QUEUE/,
      ),
      hints: { retryAfterMs: expect.any(Number) },
    });
    running.finish();
    await first;
    expect(budget.load.waiting).toBe(0);
    void queued;
  });

  it('takes a waiter out of the queue when its signal aborts, with the reason', async () => {
    const budget = new DecodeBudget(100, 4);
    const running = pendingWork();
    const first = budget.run(100, running.work);
    const controller = new AbortController();
    const waiter = pendingWork();
    const waiting = budget.run(50, waiter.work, controller.signal);
    await settle();
    const reason = new GatewayError('deadline_exceeded', 'the deadline passed');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(budget.load).toEqual({ bytes: 100, waiting: 0 });
    running.finish();
    await first;
    expect(waiter.started()).toBe(false);
    expect(budget.load).toEqual({ bytes: 0, waiting: 0 });
  });

  it('frees the bytes of a decode that fails', async () => {
    const budget = new DecodeBudget(100, 4);
    await expect(budget.run(100, () => Promise.reject(new Error('corrupt')))).rejects.toThrow(
      'corrupt',
    );
    expect(budget.load).toEqual({ bytes: 0, waiting: 0 });
  });
});
