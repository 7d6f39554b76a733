import { FakeClock } from '../../test/fake-clock';
import { GatewayError } from '../errors/gateway-error';
import type { InferRequest, InferResponse } from '../request-path/inference-backend';
import type { InferTensor } from '../inference/tensor';
import type { BatchTuner, CompletedBatch } from './adaptive-controller';
import { Batcher, type BatcherObserver } from './batcher';
import type { ModelBatchingSettings, QueuePolicy } from './batching-settings';

const REALTIME = 0;
const BULK = 1;

const policy = (overrides: Partial<QueuePolicy> = {}): QueuePolicy => ({
  maxQueueSize: 100,
  timeoutMs: 0,
  allowTimeoutOverride: false,
  onTimeout: 'reject',
  ...overrides,
});

const settingsWith = (overrides: Partial<ModelBatchingSettings> = {}): ModelBatchingSettings => ({
  mode: 'fixed',
  maxBatchSize: 8,
  preferredBatchSizes: [],
  maxQueueDelayMs: 5,
  maxBatchesInFlight: 4,
  queuePolicies: [policy(), policy()],
  p99ObjectiveMs: 100,
  ...overrides,
});

interface RequestOptions {
  size?: number;
  /** Non-batch dimensions of the input. */
  dims?: number[];
  outputs?: string[];
  deadline?: number;
  signal?: AbortSignal;
}

/** A request whose input rows hold `tag * 100 + row`, so every member's slice is recognisable. */
function request(tag: number, options: RequestOptions = {}): InferRequest {
  const { size = 1, dims = [2], outputs = [] } = options;
  const perRow = dims.reduce((product, dim) => product * dim, 1);
  const data = Float32Array.from({ length: size * perRow }, (_, index) => tag * 100 + index);
  return {
    model: 'm',
    version: '1',
    id: `r${tag}`,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [size, ...dims], data }],
    outputs,
    deadline: options.deadline,
    signal: options.signal,
  };
}

interface Call {
  request: InferRequest;
  tags: number[];
  resolve(response: InferResponse): void;
  reject(error: Error): void;
  /** Answers with output 'y' = 2 × input, the same shape. */
  answer(): Float32Array;
}

/** A backend that answers only when told, recording each batch it gets. */
class FakeBackend {
  readonly calls: Call[] = [];

  readonly dispatch = (request: InferRequest, tags: readonly number[]): Promise<InferResponse> =>
    new Promise<InferResponse>((resolve, reject) => {
      const call: Call = {
        request,
        tags: [...tags],
        resolve,
        reject,
        answer: () => {
          const input = request.inputs[0];
          const doubled = Float32Array.from(input.data as Float32Array, (value) => value * 2);
          const output: InferTensor = {
            name: 'y',
            datatype: 'FP32',
            shape: input.shape,
            data: doubled,
          };
          resolve({ model: 'm', version: '1', outputs: [output] });
          return doubled;
        },
      };
      this.calls.push(call);
    });
}

/** Lets settled promises run their callbacks (the batcher reschedules after a batch settles). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(overrides: Partial<ModelBatchingSettings> = {}, tuner?: BatchTuner) {
  const clock = new FakeClock();
  const backend = new FakeBackend();
  const events: string[] = [];
  const observer: Partial<BatcherObserver> = {
    dispatched: (size) => events.push(`batch:${size}`),
    expired: (reason, level) => events.push(`expired:${reason}:${level}`),
    refused: (reason, level) => events.push(`refused:${reason}:${level}`),
    cancelled: (level) => events.push(`cancelled:${level}`),
  };
  const batcher = new Batcher<number>({
    label: "model 'm' version 1",
    settings: settingsWith(overrides),
    dispatch: backend.dispatch,
    clock,
    tuner,
    observer,
  });
  const submit = (tag: number, level = REALTIME, options: RequestOptions = {}) =>
    batcher.submit(request(tag, options), level, tag);
  return { clock, backend, batcher, events, submit };
}

/** Collects how a promise settled without letting a rejection go unhandled. */
function outcome<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

describe('Batcher', () => {
  describe('batch formation', () => {
    it('holds requests until the oldest has waited max_queue_delay, then sends them as one batch', async () => {
      const { clock, backend, submit } = setup({ maxQueueDelayMs: 5 });
      const results = [1, 2, 3].map((tag) => outcome(submit(tag)));
      clock.advance(4);
      expect(backend.calls).toHaveLength(0);
      clock.advance(1);
      expect(backend.calls.map((call) => call.tags)).toEqual([[1, 2, 3]]);
      const batchInput = backend.calls[0].request.inputs[0];
      expect(batchInput.shape).toEqual([3, 2]);
      expect(Array.from(batchInput.data as Float32Array)).toEqual([100, 101, 200, 201, 300, 301]);

      const doubled = backend.calls[0].answer();
      await flush();
      results.forEach((result, index) => {
        const tag = index + 1;
        expect(result.value?.id).toBe(`r${tag}`);
        const output = result.value!.outputs[0];
        expect(output.shape).toEqual([1, 2]);
        expect(Array.from(output.data as Float32Array)).toEqual([tag * 200, tag * 200 + 2]);
        // A view into the batch's output, not a copy.
        expect((output.data as Float32Array).buffer).toBe(doubled.buffer);
      });
    });

    it('sends a full batch at once and keeps the rest for the next', async () => {
      const { clock, backend, submit } = setup({ maxBatchSize: 4, maxQueueDelayMs: 5 });
      for (const tag of [1, 2, 3, 4, 5, 6]) void outcome(submit(tag));
      expect(backend.calls.map((call) => call.tags)).toEqual([[1, 2, 3, 4]]);
      clock.advance(5);
      expect(backend.calls.map((call) => call.tags)).toEqual([
        [1, 2, 3, 4],
        [5, 6],
      ]);
      await flush();
    });

    it('sends as soon as a preferred batch size is reached, the largest one reachable', () => {
      const { backend, submit } = setup({ preferredBatchSizes: [2, 4], maxQueueDelayMs: 50 });
      void outcome(submit(1));
      expect(backend.calls).toHaveLength(0);
      void outcome(submit(2));
      expect(backend.calls.map((call) => call.tags)).toEqual([[1, 2]]);
    });

    it('takes whole requests in order: a request that does not fit closes the batch', () => {
      const { backend, submit } = setup({ maxBatchSize: 4, maxQueueDelayMs: 50 });
      void outcome(submit(1, REALTIME, { size: 3 }));
      void outcome(submit(2, REALTIME, { size: 2 }));
      expect(backend.calls.map((call) => [call.tags, call.request.inputs[0].shape[0]])).toEqual([
        [[1], 3],
      ]);
    });

    it('splits a multi-image batch back along the batch dimension', async () => {
      const { clock, backend, submit } = setup({ maxQueueDelayMs: 5 });
      const sizes = [2, 1, 3];
      const results = sizes.map((size, index) => outcome(submit(index + 1, REALTIME, { size })));
      clock.advance(5);
      expect(backend.calls[0].request.inputs[0].shape).toEqual([6, 2]);
      backend.calls[0].answer();
      await flush();
      results.forEach((result, index) => {
        const output = result.value!.outputs[0];
        expect(output.shape).toEqual([sizes[index], 2]);
        const tag = index + 1;
        const expected = Array.from({ length: sizes[index] * 2 }, (_, i) => (tag * 100 + i) * 2);
        expect(Array.from(output.data as Float32Array)).toEqual(expected);
      });
    });

    it('sends a lone request unchanged: no copy for a batch of one', () => {
      const { clock, backend, batcher } = setup({ maxQueueDelayMs: 1 });
      const single = request(7);
      void outcome(batcher.submit(single, REALTIME, 7));
      clock.advance(1);
      expect(backend.calls[0].request).toBe(single);
    });

    it('sends early when waiting longer would make a member miss its deadline', async () => {
      const { clock, backend, submit } = setup({ maxQueueDelayMs: 50 });
      // Teach the batcher that a batch takes about 10 ms.
      void outcome(submit(1, REALTIME, { deadline: clock.now() + 1000 }));
      clock.advance(50);
      clock.advance(10);
      backend.calls[0].answer();
      await flush();

      void outcome(submit(2, REALTIME, { deadline: clock.now() + 30 }));
      clock.advance(19);
      expect(backend.calls).toHaveLength(1);
      clock.advance(1); // deadline 30 ms away minus 10 ms of expected batch time
      expect(backend.calls).toHaveLength(2);
    });
  });

  describe('compatibility', () => {
    it('batches only requests with the same non-batch dimensions, datatypes and outputs', async () => {
      const { clock, backend, batcher, submit } = setup({ maxQueueDelayMs: 5 });
      void outcome(submit(1, REALTIME, { dims: [2] }));
      void outcome(submit(2, REALTIME, { dims: [3] }));
      void outcome(submit(3, REALTIME, { dims: [2] }));
      void outcome(submit(4, REALTIME, { dims: [2], outputs: ['y'] }));
      const int32 = request(5);
      int32.inputs[0] = { ...int32.inputs[0], datatype: 'INT32', data: new Int32Array(2) };
      void outcome(batcher.submit(int32, REALTIME, 5));
      clock.advance(5);
      expect(backend.calls.map((call) => call.tags)).toEqual([[1, 3], [2], [4], [5]]);
      await flush();
    });

    it('fails only the members of a failed batch, with the backend error', async () => {
      const { clock, backend, submit } = setup({ maxQueueDelayMs: 5 });
      const a = [
        outcome(submit(1, REALTIME, { dims: [2] })),
        outcome(submit(2, REALTIME, { dims: [2] })),
      ];
      const b = [
        outcome(submit(3, REALTIME, { dims: [3] })),
        outcome(submit(4, REALTIME, { dims: [3] })),
      ];
      clock.advance(5);
      expect(backend.calls.map((call) => call.tags)).toEqual([
        [1, 2],
        [3, 4],
      ]);
      const failure = new GatewayError('unavailable', 'instance exited');
      backend.calls[0].reject(failure);
      backend.calls[1].answer();
      await flush();
      expect(a.map((result) => result.error)).toEqual([failure, failure]);
      expect(b.map((result) => result.value?.outputs[0].shape)).toEqual([
        [1, 3],
        [1, 3],
      ]);
    });

    it('fails the batch when the backend answers with the wrong batch dimension', async () => {
      const { clock, backend, submit } = setup({ maxQueueDelayMs: 5 });
      const results = [outcome(submit(1)), outcome(submit(2))];
      clock.advance(5);
      backend.calls[0].resolve({
        model: 'm',
        version: '1',
        outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2], data: new Float32Array(2) }],
      });
      await flush();
      for (const result of results) {
        expect(result.error).toMatchObject({
          kind: 'internal',
          message: expect.stringContaining("output 'y'"),
        });
      }
    });
  });

  describe('deadlines, priorities, bounds', () => {
    it('drops a request whose deadline passes in the queue, before any backend call', async () => {
      const { clock, backend, submit, events } = setup({ maxQueueDelayMs: 10 });
      const late = outcome(submit(1, REALTIME, { deadline: clock.now() + 3 }));
      const patient = outcome(submit(2));
      clock.advance(3);
      await flush();
      expect(late.error).toMatchObject({ kind: 'deadline_exceeded' });
      expect(events).toContain('expired:deadline:0');
      clock.advance(7);
      expect(backend.calls.map((call) => call.tags)).toEqual([[2]]);
      expect(patient.settled).toBe(false);
    });

    it('refuses a request whose deadline has already passed', async () => {
      const { clock, backend, submit } = setup();
      const result = outcome(submit(1, REALTIME, { deadline: clock.now() }));
      await flush();
      expect(result.error).toMatchObject({ kind: 'deadline_exceeded' });
      expect(backend.calls).toHaveLength(0);
    });

    it('serves real-time requests before bulk ones that came earlier', async () => {
      const { backend, submit } = setup({
        maxBatchSize: 2,
        maxQueueDelayMs: 0,
        maxBatchesInFlight: 1,
      });
      void outcome(submit(1, BULK));
      for (const [tag, level] of [
        [2, BULK],
        [3, BULK],
        [4, REALTIME],
        [5, REALTIME],
      ])
        void outcome(submit(tag, level));
      expect(backend.calls.map((call) => call.tags)).toEqual([[1]]);
      backend.calls[0].answer();
      await flush();
      expect(backend.calls.map((call) => call.tags)).toEqual([[1], [4, 5]]);
      backend.calls[1].answer();
      await flush();
      expect(backend.calls.map((call) => call.tags)).toEqual([[1], [4, 5], [2, 3]]);
    });

    it('refuses at once when a level is full, with a retry hint; other levels still take requests', async () => {
      const { submit, events } = setup({
        maxQueueDelayMs: 10,
        queuePolicies: [policy({ maxQueueSize: 2 }), policy({ maxQueueSize: 2 })],
      });
      void outcome(submit(1));
      void outcome(submit(2));
      const refused = outcome(submit(3));
      const bulk = outcome(submit(4, BULK));
      await flush();
      expect(refused.error).toBeInstanceOf(GatewayError);
      expect(refused.error).toMatchObject({
        kind: 'resource_exhausted',
        message: expect.stringContaining("batch queue of model 'm' version 1 is full"),
      });
      expect((refused.error as GatewayError).hints.retryAfterMs).toBeGreaterThan(0);
      expect(bulk.settled).toBe(false);
      expect(events).toEqual(['refused:queue_full:0']);
    });

    it('keeps at most maxBatchesInFlight batches at the backend; the queue forms the next batch', async () => {
      const { backend, batcher, submit } = setup({
        maxBatchSize: 4,
        maxQueueDelayMs: 0,
        maxBatchesInFlight: 1,
      });
      void outcome(submit(1));
      for (const tag of [2, 3, 4, 5, 6]) void outcome(submit(tag));
      expect(backend.calls.map((call) => call.tags)).toEqual([[1]]);
      expect(batcher.batchesInFlight).toBe(1);
      expect(batcher.queued).toBe(5);
      backend.calls[0].answer();
      await flush();
      expect(backend.calls.map((call) => call.tags)).toEqual([[1], [2, 3, 4, 5]]);
      backend.calls[1].reject(new GatewayError('unavailable', 'down'));
      await flush();
      // A failed batch frees its slot too.
      expect(backend.calls.map((call) => call.tags)).toEqual([[1], [2, 3, 4, 5], [6]]);
    });

    it('applies the queue policy timeout: REJECT refuses, DELAY demotes to the lowest level', async () => {
      const { clock, backend, submit, events } = setup({
        maxBatchSize: 1,
        maxQueueDelayMs: 0,
        maxBatchesInFlight: 1,
        queuePolicies: [policy({ timeoutMs: 4, onTimeout: 'delay' }), policy({ timeoutMs: 4 })],
      });
      void outcome(submit(1));
      const bulk = outcome(submit(2, BULK));
      const demoted = outcome(submit(3));
      clock.advance(4);
      await flush();
      expect(bulk.error).toMatchObject({
        kind: 'deadline_exceeded',
        message: expect.stringContaining('queue policy'),
      });
      expect(events).toContain('expired:queue_timeout:1');
      expect(demoted.settled).toBe(false);
      void outcome(submit(4));
      backend.calls[0].answer();
      await flush();
      // The fresh real-time request goes before the demoted one.
      expect(backend.calls.map((call) => call.tags)).toEqual([[1], [4]]);
    });

    it('lets a caller deadline replace the policy timeout where allow_timeout_override says so', async () => {
      const { clock, submit } = setup({
        maxQueueDelayMs: 100,
        queuePolicies: [policy({ timeoutMs: 4, allowTimeoutOverride: true }), policy()],
      });
      const own = outcome(submit(1, REALTIME, { deadline: clock.now() + 50 }));
      const none = outcome(submit(2));
      clock.advance(4);
      await flush();
      expect(own.settled).toBe(false);
      expect(none.error).toMatchObject({ kind: 'deadline_exceeded' });
    });

    it('takes an aborted request out of the queue at once', async () => {
      const { clock, backend, batcher, submit, events } = setup({ maxQueueDelayMs: 5 });
      const controller = new AbortController();
      const leaving = outcome(submit(1, REALTIME, { signal: controller.signal }));
      void outcome(submit(2));
      controller.abort();
      await flush();
      expect(leaving.error).toMatchObject({ kind: 'cancelled' });
      expect(batcher.queued).toBe(1);
      expect(events).toContain('cancelled:0');
      clock.advance(5);
      expect(backend.calls.map((call) => call.tags)).toEqual([[2]]);
    });

    it('answers a member that leaves a running batch at once, and aborts the batch when all have left', async () => {
      const { clock, backend, submit } = setup({ maxQueueDelayMs: 5 });
      const first = new AbortController();
      const second = new AbortController();
      const a = outcome(submit(1, REALTIME, { signal: first.signal }));
      const b = outcome(submit(2, REALTIME, { signal: second.signal }));
      clock.advance(5);
      const batchSignal = backend.calls[0].request.signal!;
      first.abort();
      await flush();
      expect(a.error).toMatchObject({ kind: 'cancelled' });
      expect(b.settled).toBe(false);
      expect(batchSignal.aborted).toBe(false);
      second.abort();
      expect(batchSignal.aborted).toBe(true);
    });

    it("reports the admit stage's deadline abort as expired, with its error", async () => {
      const { submit, events } = setup({ maxQueueDelayMs: 50 });
      const controller = new AbortController();
      const result = outcome(submit(1, REALTIME, { signal: controller.signal }));
      const reason = new GatewayError('deadline_exceeded', 'deadline passed at the backend');
      controller.abort(reason);
      await flush();
      expect(result.error).toBe(reason);
      expect(events).toEqual(['expired:deadline:0']);
    });

    it('refuses what is still queued on close', async () => {
      const { batcher, submit } = setup({ maxQueueDelayMs: 50 });
      const queued = outcome(submit(1));
      batcher.close();
      await flush();
      expect(queued.error).toMatchObject({ kind: 'unavailable' });
      const late = outcome(submit(2));
      await flush();
      expect(late.error).toMatchObject({ kind: 'unavailable' });
    });
  });

  describe('with a tuner (adaptive mode)', () => {
    it("forms batches under the tuner's limits and reports each batch's latencies to it", async () => {
      const observed: CompletedBatch[] = [];
      let arrivals = 0;
      const { clock, backend, submit } = setup(
        { maxBatchSize: 8, preferredBatchSizes: [4, 8], maxQueueDelayMs: 50 },
        {
          limits: () => ({ maxBatchSize: 2, maxQueueDelayMs: 1 }),
          arrival: () => (arrivals += 1),
          completed: (batch) => observed.push(batch),
        },
      );
      void outcome(submit(1));
      void outcome(submit(2));
      void outcome(submit(3));
      expect(backend.calls.map((call) => call.tags)).toEqual([[1, 2]]);
      clock.advance(1);
      expect(backend.calls.map((call) => call.tags)).toEqual([[1, 2], [3]]);
      clock.advance(3);
      backend.calls[0].answer();
      await flush();
      expect(observed).toEqual([{ size: 2, limit: 2, latenciesMs: [4, 4], serviceMs: 4 }]);
      expect(arrivals).toBe(3);
    });

    it('sends a request larger than the tuned limit as a batch of its own', () => {
      const { backend, submit } = setup(
        { maxBatchSize: 8, maxQueueDelayMs: 50 },
        {
          limits: () => ({ maxBatchSize: 2, maxQueueDelayMs: 50 }),
          arrival: () => {},
          completed: () => {},
        },
      );
      void outcome(submit(1, REALTIME, { size: 5 }));
      expect(backend.calls.map((call) => call.request.inputs[0].shape[0])).toEqual([5]);
    });
  });
});
