import { GatewayError } from '../errors/gateway-error';
import type { Priority } from '../request-path/call-context';
import { FakeClock } from '../../test/fake-clock';
import {
  ModelAdmission,
  type AdmissionEvents,
  type AdmissionLimits,
  type Permit,
} from './model-admission';

/** A promise's outcome as it stands after pending microtasks ran. */
interface Tracked {
  permit?: Permit;
  error?: GatewayError;
  readonly settled: boolean;
}

function track(promise: Promise<Permit>): Tracked {
  const tracked: { permit?: Permit; error?: GatewayError; settled: boolean } = { settled: false };
  promise.then(
    (permit) => Object.assign(tracked, { permit, settled: true }),
    (error: GatewayError) => Object.assign(tracked, { error, settled: true }),
  );
  return tracked;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function recordingEvents() {
  const log: string[] = [];
  const depth = { inFlight: 0, queued: 0 };
  const slots = { limit: 0 };
  const events: AdmissionEvents = {
    admitted: (priority) => log.push(`admitted ${priority}`),
    shed: (priority, reason) => log.push(`shed ${priority} ${reason}`),
    expired: (priority, reason) => log.push(`expired ${priority} ${reason}`),
    cancelled: (priority) => log.push(`cancelled ${priority}`),
    changed: (inFlight, queued) => Object.assign(depth, { inFlight, queued }),
    limited: (limit) => Object.assign(slots, { limit }),
  };
  return { log, depth, slots, events };
}

describe('ModelAdmission', () => {
  let clock: FakeClock;
  let recorded: ReturnType<typeof recordingEvents>;

  const admission = (limits: AdmissionLimits) =>
    new ModelAdmission("model 'm' version 1", limits, clock, recorded.events);
  const ticket = (priority: Priority = 'realtime', timeoutMs = 10_000, signal?: AbortSignal) => ({
    priority,
    deadline: clock.now() + timeoutMs,
    signal,
  });

  beforeEach(() => {
    clock = new FakeClock();
    recorded = recordingEvents();
  });

  it('lets max in flight through at once, queues max queue behind them and refuses the rest', async () => {
    const model = admission({ maxInFlight: 2, maxQueue: 2 });
    const requests = [1, 2, 3, 4, 5].map(() => track(model.admit(ticket('bulk'))));
    await flush();

    expect(requests.map((request) => request.permit !== undefined)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(requests[2].settled || requests[3].settled).toBe(false);
    expect(requests[4].error).toBeInstanceOf(GatewayError);
    expect(requests[4].error).toMatchObject({
      kind: 'resource_exhausted',
      message: expect.stringMatching(/model 'm' version 1 .*max in flight \(2\).*max queue 2/),
      hints: { retryAfterMs: expect.any(Number) },
    });
    expect(recorded.depth).toEqual({ inFlight: 2, queued: 2 });
    expect(recorded.log.filter((entry) => entry.startsWith('shed'))).toEqual([
      'shed bulk queue_full',
    ]);
  });

  it('with no queue, refuses as soon as every slot is busy, saying there is no queue', async () => {
    const model = admission({ maxInFlight: 1, maxQueue: 0 });
    const first = track(model.admit(ticket()));
    const second = track(model.admit(ticket()));
    await flush();
    expect(first.permit).toBeDefined();
    expect(second.error?.message).toMatch(/has no queue \(gateway\.max_queue 0\)/);
  });

  it('releases the slot on success and on failure alike, once, and lets the next one in', async () => {
    const model = admission({ maxInFlight: 1, maxQueue: 5 });
    const first = track(model.admit(ticket()));
    const second = track(model.admit(ticket()));
    const third = track(model.admit(ticket()));
    await flush();
    expect([first.settled, second.settled, third.settled]).toEqual([true, false, false]);

    first.permit?.release(40); // answered: observed
    first.permit?.release(40); // a second release changes nothing
    await flush();
    expect([second.settled, third.settled]).toEqual([true, false]);
    expect(model.inFlightCount).toBe(1);

    second.permit?.release(); // failed: nothing observed, the slot is free all the same
    await flush();
    expect(third.permit).toBeDefined();
    third.permit?.release(60);
    expect(model.inFlightCount).toBe(0);
    expect(model.queuedCount).toBe(0);
    expect(model.estimate.serviceMs(clock.now())).toBeCloseTo(44); // 40, then 40 + 0.2 × (60 - 40)
  });

  it('admits queued real-time requests before bulk ones, each kind in arrival order', async () => {
    const model = admission({ maxInFlight: 1, maxQueue: 10 });
    const running = track(model.admit(ticket('bulk')));
    const order: string[] = [];
    const queue = (name: string, priority: Priority) =>
      model.admit(ticket(priority)).then((permit) => {
        order.push(name);
        permit.release();
      });
    const all = Promise.all([
      queue('bulk-1', 'bulk'),
      queue('realtime-1', 'realtime'),
      queue('bulk-2', 'bulk'),
      queue('realtime-2', 'realtime'),
    ]);
    await flush();
    running.permit?.release();
    await all;
    expect(order).toEqual(['realtime-1', 'realtime-2', 'bulk-1', 'bulk-2']);
  });

  it('when the queue is full, a real-time arrival displaces the newest queued bulk request', async () => {
    const model = admission({ maxInFlight: 1, maxQueue: 2 });
    track(model.admit(ticket('bulk')));
    const olderBulk = track(model.admit(ticket('bulk')));
    const newerBulk = track(model.admit(ticket('bulk')));
    const realtime = track(model.admit(ticket('realtime')));
    await flush();

    expect(newerBulk.error).toMatchObject({
      kind: 'resource_exhausted',
      message: expect.stringMatching(
        /^shed for real-time traffic: the queue of model 'm' version 1/,
      ),
      hints: { retryAfterMs: expect.any(Number) },
    });
    expect(olderBulk.settled).toBe(false);
    expect(realtime.settled).toBe(false);
    expect(model.queuedCount).toBe(2);
    expect(recorded.log).toContain('shed bulk displaced');

    // Bulk arriving at a full queue is refused; real-time too once no bulk is left to displace.
    const lateBulk = track(model.admit(ticket('bulk')));
    const secondRealtime = track(model.admit(ticket('realtime')));
    const thirdRealtime = track(model.admit(ticket('realtime')));
    await flush();
    expect(lateBulk.error?.kind).toBe('resource_exhausted');
    expect(olderBulk.error?.message).toMatch(/^shed for real-time traffic/);
    expect(secondRealtime.settled).toBe(false);
    expect(thirdRealtime.error).toMatchObject({
      kind: 'resource_exhausted',
      message: expect.stringMatching(/queue is full/),
    });
  });

  it('a queued request whose deadline passes leaves the queue with deadline_exceeded', async () => {
    const model = admission({ maxInFlight: 1, maxQueue: 5 });
    const running = track(model.admit(ticket()));
    const shortDeadline = track(model.admit(ticket('realtime', 200)));
    const longDeadline = track(model.admit(ticket('realtime', 5000)));
    await flush();
    expect(model.queuedCount).toBe(2);

    clock.advance(199);
    await flush();
    expect(shortDeadline.settled).toBe(false);
    clock.advance(1);
    await flush();
    expect(shortDeadline.error).toMatchObject({
      kind: 'deadline_exceeded',
      message: "the deadline passed after 200 ms waiting in the queue of model 'm' version 1",
    });
    expect(model.queuedCount).toBe(1);
    expect(recorded.depth).toEqual({ inFlight: 1, queued: 1 });
    expect(recorded.log).toContain('expired realtime in_queue');

    running.permit?.release();
    await flush();
    expect(longDeadline.permit).toBeDefined();
    expect(clock.pending).toBe(0); // the admitted request's deadline timer went with it
  });

  it('a queued request whose caller goes away leaves the queue at once', async () => {
    const model = admission({ maxInFlight: 1, maxQueue: 5 });
    const running = track(model.admit(ticket()));
    const controller = new AbortController();
    const abandoned = track(model.admit(ticket('bulk', 10_000, controller.signal)));
    const next = track(model.admit(ticket('bulk')));
    await flush();

    controller.abort();
    await flush();
    expect(abandoned.error).toMatchObject({ kind: 'cancelled' });
    expect(model.queuedCount).toBe(1);
    expect(clock.pending).toBe(1); // only the other queued request's deadline timer is left
    expect(recorded.log).toContain('cancelled bulk');

    running.permit?.release();
    await flush();
    expect(next.permit).toBeDefined();
  });

  it('refuses a request that arrives expired or already abandoned, without using a slot', async () => {
    const model = admission({ maxInFlight: 1, maxQueue: 1 });
    const controller = new AbortController();
    controller.abort();
    const expired = track(model.admit({ priority: 'realtime', deadline: clock.now() }));
    const abandoned = track(model.admit(ticket('realtime', 1000, controller.signal)));
    await flush();
    expect(expired.error).toMatchObject({
      kind: 'deadline_exceeded',
      message: "the deadline passed before model 'm' version 1 was called",
    });
    expect(abandoned.error?.kind).toBe('cancelled');
    expect(model.inFlightCount).toBe(0);
    expect(recorded.log).toEqual(['expired realtime on_arrival', 'cancelled realtime']);
  });

  it('refuses a request whose time left is below the estimated service time and queue wait', async () => {
    const model = admission({ maxInFlight: 2, maxQueue: 10 });
    model.estimate.observe(100, clock.now());

    const tooShort = track(model.admit(ticket('realtime', 99)));
    await flush();
    expect(tooShort.error).toMatchObject({
      kind: 'deadline_exceeded',
      message:
        "the deadline cannot be met: 99 ms left, model 'm' version 1 needs about 100 ms; refused before it reached the backend",
    });
    expect(model.inFlightCount).toBe(0);

    // Both slots busy: a new request needs (ahead + 1) × 100 / 2 ms of wait plus 100 ms.
    const running = [track(model.admit(ticket())), track(model.admit(ticket()))];
    const queued = [1, 2].map(() => track(model.admit(ticket('bulk', 10_000))));
    const bulkNeeds250 = track(model.admit(ticket('bulk', 249)));
    const realtimeNeeds150 = track(model.admit(ticket('realtime', 150)));
    await flush();
    expect(running.every((request) => request.permit)).toBe(true);
    expect(queued.some((request) => request.settled)).toBe(false);
    expect(bulkNeeds250.error?.message).toMatch(
      /249 ms left, .* needs about 250 ms with 2 request\(s\) queued ahead/,
    );
    // Real-time goes before the queued bulk requests, so it only waits for a slot.
    expect(realtimeNeeds150.settled).toBe(false);
    expect(recorded.log.filter((entry) => entry.includes('infeasible'))).toEqual([
      'expired realtime infeasible',
      'expired bulk infeasible',
    ]);
  });

  it('at its turn, a queued request whose time left no longer covers the service time is refused', async () => {
    const model = admission({ maxInFlight: 1, maxQueue: 5 });
    model.estimate.observe(100, clock.now());
    const running = track(model.admit(ticket()));
    const tight = track(model.admit(ticket('realtime', 250)));
    const roomy = track(model.admit(ticket('realtime', 5000)));
    await flush();

    clock.advance(200); // 50 ms left for `tight`, which needs 100
    running.permit?.release(100);
    await flush();
    expect(tight.error?.message).toMatch(/^the deadline cannot be met: 50 ms left/);
    expect(roomy.permit).toBeDefined();
  });

  it('sets a stale estimate aside so that one request probes the backend again', async () => {
    const model = admission({ maxInFlight: 1, maxQueue: 5 });
    model.estimate.observe(5000, clock.now());
    const refused = track(model.admit(ticket('realtime', 1000)));
    await flush();
    expect(refused.error?.kind).toBe('deadline_exceeded');

    clock.advance(50_001); // nothing confirmed the 5 s estimate for ten service times
    const probe = track(model.admit(ticket('realtime', 1000)));
    await flush();
    expect(probe.permit).toBeDefined();
  });

  it('lets queued requests in when the model is given more slots', async () => {
    const model = admission({ maxInFlight: 1, maxQueue: 5 });
    track(model.admit(ticket()));
    const waiting = [track(model.admit(ticket())), track(model.admit(ticket()))];
    await flush();
    expect(waiting.some((request) => request.settled)).toBe(false);

    model.setLimits({ maxInFlight: 3, maxQueue: 5 });
    await flush();
    expect(waiting.every((request) => request.permit)).toBe(true);
    expect(recorded.depth).toEqual({ inFlight: 3, queued: 0 });
    expect(recorded.slots.limit).toBe(3);
  });

  describe('queue target: refused at once rather than admitted late', () => {
    it('refuses an arrival whose wait for a slot would pass its target (here half its deadline), counting only those ahead of its priority', async () => {
      const model = admission({ maxInFlight: 1, maxQueue: 10, queueTarget: 'service' });
      model.estimate.observe(100, clock.now());
      const running = track(model.admit(ticket('bulk', 300)));
      const queued = track(model.admit(ticket('bulk', 300))); // about 100 ms: on target
      const late = track(model.admit(ticket('bulk', 300))); // about 200 ms with one ahead
      const realtime = track(model.admit(ticket('realtime', 300))); // goes first: about 100 ms
      await flush();
      expect([running.permit !== undefined, queued.settled, realtime.settled]).toEqual([
        true,
        false,
        false,
      ]);
      expect(late.error).toMatchObject({
        kind: 'resource_exhausted',
        message:
          "model 'm' version 1 is busy: a slot would take about 200 ms with 1 request(s) queued ahead, over its queue target (150 ms); refused at once instead of admitted late",
        hints: { retryAfterMs: 200 },
      });
      expect(recorded.log).toContain('shed bulk wait_target');
    });

    it('lets a caller with a long deadline wait up to half of it (a batch job, a burst sent together)', async () => {
      const model = admission({ maxInFlight: 1, maxQueue: 10, queueTarget: 'service' });
      model.estimate.observe(100, clock.now());
      const burst = [1, 2, 3, 4, 5].map(() => track(model.admit(ticket('bulk', 10_000))));
      const sixth = track(model.admit(ticket('bulk', 800))); // 500 ms of wait: over 400 ms
      await flush();
      expect(burst[0].permit).toBeDefined();
      expect(burst.slice(1).some((request) => request.settled)).toBe(false);
      expect(sixth.error?.message).toMatch(/over its queue target \(400 ms\)/);
    });

    it('an explicit target is strict, whatever the deadline', async () => {
      const model = admission({ maxInFlight: 1, maxQueue: 10, queueTarget: 40 });
      model.estimate.observe(40, clock.now());
      track(model.admit(ticket('bulk', 60_000)));
      const first = track(model.admit(ticket('bulk', 60_000)));
      const second = track(model.admit(ticket('bulk', 60_000)));
      await flush();
      expect(first.settled).toBe(false);
      expect(second.error?.message).toMatch(/over its queue target \(40 ms\)/);
    });

    it('measures the pace of departures: slots that do not run at once (one model instance) make the wait longer than service time / slots', async () => {
      const model = admission({ maxInFlight: 2, maxQueue: 10, queueTarget: 150 });
      const calls = [1, 2, 3, 4].map(() => track(model.admit(ticket())));
      await flush();
      // One instance behind two slots: calls end one every 100 ms, each having taken 100-200 ms.
      clock.advance(100);
      calls[0].permit?.release(100);
      await flush();
      clock.advance(100);
      calls[1].permit?.release(200);
      await flush();
      const next = track(model.admit(ticket())); // about 100 ms
      // One ahead: 200 ms at that pace, over the target (service / slots would say 120 ms).
      const late = track(model.admit(ticket()));
      await flush();
      expect(next.settled).toBe(false);
      expect(late.error?.message).toMatch(/a slot would take about 200 ms with 1 request\(s\)/);
    });

    it('refuses a queued request once it waited twice its target, even before its turn', async () => {
      const model = admission({ maxInFlight: 1, maxQueue: 10, queueTarget: 40 });
      model.estimate.observe(40, clock.now());
      const running = track(model.admit(ticket()));
      const bulk = track(model.admit(ticket('bulk'))); // about 40 ms: on target
      await flush();
      for (let i = 0; i < 2; i += 1) {
        // Real-time calls keep overtaking it.
        clock.advance(39);
        track(model.admit(ticket('realtime')));
        await flush();
      }
      clock.advance(2); // 80 ms: twice the target
      await flush();
      expect(running.permit).toBeDefined();
      expect(bulk.error?.message).toMatch(
        /this request waited 80 ms for a slot, over twice its queue target \(40 ms\)/,
      );
      expect(recorded.log).toContain('shed bulk waited');
    });
  });

  it('keeps an adaptive limit at or above its floor, measuring the unloaded latency there', async () => {
    const model = admission({ maxInFlight: 8, maxQueue: 10, adaptive: true, minInFlight: 3 });
    expect(model.slots).toBe(3);
    const calls = [1, 2, 3, 4].map(() => track(model.admit(ticket())));
    await flush();
    expect(calls.filter((call) => call.permit).length).toBe(3);
  });

  it('with an adaptive limit, measures the unloaded latency one call at a time, then lowers the slots when calls slow down as more run at once', async () => {
    const model = admission({ maxInFlight: 8, maxQueue: 10, adaptive: true });
    const runRound = async (ms: number) => {
      const calls = Array.from({ length: model.slots }, () => track(model.admit(ticket())));
      await flush();
      clock.advance(ms);
      for (const call of calls) call.permit?.release(ms);
      await flush();
    };
    expect(model.slots).toBe(1);
    // Alone, a call takes 10 ms: five of them measure it; then the limit opens up to the max.
    for (let call = 0; call < 5; call += 1) await runRound(10);
    expect(model.slots).toBe(8);
    // Eight at once take 40 ms each: the backend queues inside, so fewer may run at once.
    for (let round = 0; round < 3; round += 1) await runRound(40);
    expect(model.slots).toBeLessThan(8);
    expect(recorded.slots.limit).toBe(model.slots);
  });
});
