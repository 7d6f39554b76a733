import type { InferRequest, InferResponse } from '../request-path/inference-backend';
import { FakeClock } from '../../test/fake-clock';
import { callWithinDeadline, type BackendEnd } from './call-within-deadline';
import type { Permit } from './model-admission';

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** A backend call the test answers or fails by hand, recording the signal it was given. */
function controllableBackend() {
  let answer!: (response: InferResponse) => void;
  let fail!: (error: Error) => void;
  const seen: { signal?: AbortSignal } = {};
  const next = () => (signal: AbortSignal) => {
    seen.signal = signal;
    return new Promise<InferResponse>((resolve, reject) => {
      answer = resolve;
      fail = reject;
    });
  };
  return { next, seen, answer: (r: InferResponse) => answer(r), fail: (e: Error) => fail(e) };
}

function recordingPermit() {
  const releases: (number | undefined)[] = [];
  const permit: Permit = { release: (observedMs) => releases.push(observedMs) };
  return { permit, releases };
}

const response: InferResponse = { model: 'm', version: '1', outputs: [] };

describe('callWithinDeadline', () => {
  let clock: FakeClock;
  let request: InferRequest;
  let ends: BackendEnd[];
  const run = (
    backend: ReturnType<typeof controllableBackend>,
    permit: Permit,
    deadlineMs: number,
  ) => {
    const outcome: { value?: InferResponse; error?: Error } = {};
    callWithinDeadline(
      request.signal,
      clock.now() + deadlineMs,
      backend.next(),
      permit,
      clock,
      "model 'm' version 1",
      (end) => ends.push(end),
    ).then(
      (value) => (outcome.value = value),
      (error: Error) => (outcome.error = error),
    );
    return outcome;
  };

  beforeEach(() => {
    clock = new FakeClock();
    request = { model: 'm', version: '1', inputs: [], outputs: [] };
    ends = [];
  });

  it('answers and releases the slot with the observed service time', async () => {
    const backend = controllableBackend();
    const { permit, releases } = recordingPermit();
    const outcome = run(backend, permit, 1000);
    await flush();
    clock.advance(120);
    backend.answer(response);
    await flush();
    expect(outcome.value).toBe(response);
    expect(releases).toEqual([120]);
    expect(ends).toEqual(['answered']);
    expect(clock.pending).toBe(0);
    expect(backend.seen.signal?.aborted).toBe(false);
  });

  it('at the deadline answers deadline_exceeded and aborts the backend call, but holds the slot until the backend is done', async () => {
    const backend = controllableBackend();
    const { permit, releases } = recordingPermit();
    const outcome = run(backend, permit, 300);
    await flush();
    clock.advance(300);
    await flush();
    expect(outcome.error).toMatchObject({
      kind: 'deadline_exceeded',
      message: expect.stringMatching(/^the deadline passed while model 'm' version 1 was running/),
    });
    expect(backend.seen.signal?.aborted).toBe(true);
    expect(releases).toEqual([]); // ONNX Runtime cannot stop mid-run: the slot stays taken

    clock.advance(200);
    backend.answer(response); // the run finished after all; nobody gets it
    await flush();
    expect(releases).toEqual([500]); // a real service time, worth learning from
    expect(ends).toEqual(['deadline']);
  });

  it('when the caller goes away, answers cancelled, aborts the backend call and learns nothing', async () => {
    const backend = controllableBackend();
    const { permit, releases } = recordingPermit();
    const caller = new AbortController();
    request.signal = caller.signal;
    const outcome = run(backend, permit, 1000);
    await flush();
    caller.abort();
    await flush();
    expect(outcome.error).toMatchObject({ kind: 'cancelled' });
    expect(backend.seen.signal?.aborted).toBe(true);
    backend.fail(new Error('CANCELLED'));
    await flush();
    expect(releases).toEqual([undefined]);
    expect(ends).toEqual(['cancelled']);
    expect(clock.pending).toBe(0);
  });

  it('passes a backend failure on as it is and releases the slot without an observation', async () => {
    const backend = controllableBackend();
    const { permit, releases } = recordingPermit();
    const outcome = run(backend, permit, 1000);
    await flush();
    const failure = new Error('backend broke');
    backend.fail(failure);
    await flush();
    expect(outcome.error).toBe(failure);
    expect(releases).toEqual([undefined]);
    expect(ends).toEqual(['failed']);
    expect(clock.pending).toBe(0);
  });
});
