import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NANODET_INPUT_SIZE, nanodetReference } from '../../../test/nanodet-reference';
import { MODEL_REPOSITORY, seededFloats } from '../../../test/test-gateway';
import type { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type { BackendProtectionObserver } from '../../breakers/breaker-metrics';
import { BreakerRefusal } from '../../breakers/endpoint-breaker';
import type { InferRequest } from '../../request-path/inference-backend';
import { handOver, spareCount, zeroedFloat32 } from '../handed-over';
import { OnnxRuntimeBackend } from './onnx-runtime.backend';

function request(input: Float32Array, outputs: string[] = ['cls_s32']): InferRequest {
  return {
    model: 'nanodet',
    version: '',
    inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 416, 416], data: input }],
    outputs,
  };
}

/** A copy of the real repository whose nanodet runs `count` instances. */
function repositoryWithInstances(count: number): string {
  const root = mkdtempSync(join(tmpdir(), 'ort-instances-'));
  const model = join(root, 'nanodet');
  mkdirSync(join(model, '1'), { recursive: true });
  cpSync(join(MODEL_REPOSITORY, 'nanodet/labels.txt'), join(model, 'labels.txt'));
  symlinkSync(resolve(MODEL_REPOSITORY, 'nanodet/1/model.onnx'), join(model, '1/model.onnx'));
  const config = readFileSync(join(MODEL_REPOSITORY, 'nanodet/config.pbtxt'), 'utf8');
  writeFileSync(join(model, 'config.pbtxt'), config.replace(/count: 1/, `count: ${count}`));
  return root;
}

describe('OnnxRuntimeBackend (embedded, one worker thread per model instance)', () => {
  let root: string;
  let backend: OnnxRuntimeBackend;

  beforeAll(async () => {
    root = repositoryWithInstances(2);
    backend = new OnnxRuntimeBackend({ repository: root, intraOpThreads: 1 });
    await backend.load();
  });
  afterAll(async () => {
    await backend.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps the event loop free while a model runs', async () => {
    const input = seededFloats(NANODET_INPUT_SIZE, 2);
    let inferenceDone = false;
    const inference = backend.infer(request(input)).then(() => (inferenceDone = true));
    // onnxruntime-node runs a session synchronously on its calling thread: on the event loop this
    // immediate would only run after the whole inference.
    const doneWhenTheLoopTurned = await new Promise<boolean>((resolveTurn) =>
      setImmediate(() => resolveTurn(inferenceDone)),
    );
    expect(doneWhenTheLoopTurned).toBe(false);
    await inference;
  });

  it('spreads concurrent runs over the instance_group instances, each bit-identical to ONNX Runtime', async () => {
    const inputs = [1, 2, 3, 4].map((seed) => seededFloats(NANODET_INPUT_SIZE, seed));
    const results = await Promise.all(
      inputs.map((input) => backend.infer(request(input, ['cls_s8', 'reg_s32']))),
    );
    for (const [index, result] of results.entries()) {
      const reference = await nanodetReference(inputs[index], 1);
      expect(result.outputs.map((output) => output.name)).toEqual(['cls_s8', 'reg_s32']);
      expect(result.outputs[0].data).toEqual(reference.cls_s8);
      expect(result.outputs[1].data).toEqual(reference.reg_s32);
      expect(result.outputs[1].shape).toEqual([1, 169, 44]);
    }
  });

  it('moves a handed-over input to its worker and back for reuse, and a plain one is copied', async () => {
    const input = seededFloats(NANODET_INPUT_SIZE, 5);
    const expected = await nanodetReference(input.slice(), 1);
    const plain = await backend.infer(request(input, ['cls_s16']));
    expect(input.length).toBe(NANODET_INPUT_SIZE); // copied: the caller's array is untouched
    expect(plain.outputs[0].data).toEqual(expected.cls_s16);

    const moved = await backend.infer(request(handOver(input), ['cls_s16']));
    expect(input.length).toBe(0); // moved: detached here, no copy was made
    expect(moved.outputs[0].data).toEqual(expected.cls_s16);
    // The worker gave the buffer back: the next input of that size reuses it, zeroed.
    const bytes = NANODET_INPUT_SIZE * 4;
    expect(spareCount(bytes)).toBe(1);
    const reused = zeroedFloat32(NANODET_INPUT_SIZE);
    expect(spareCount(bytes)).toBe(0);
    expect(reused.length).toBe(NANODET_INPUT_SIZE);
    expect(reused.every((value) => value === 0)).toBe(true);
  });

  it('answers a request for an unloaded model with not_found and fails closed after close()', async () => {
    await expect(
      backend.infer({ ...request(seededFloats(3)), model: 'other' }),
    ).rejects.toMatchObject({ kind: 'not_found' });
    const closing = new OnnxRuntimeBackend({ repository: root, intraOpThreads: 1 });
    await closing.load();
    await closing.close();
    expect(closing.isReady()).toBe(false);
    await expect(closing.infer(request(seededFloats(NANODET_INPUT_SIZE)))).rejects.toMatchObject({
      kind: 'not_found',
    });
  });

  it('close() with runs in flight answers them first, then ends its threads without taking the process down', async () => {
    const closing = new OnnxRuntimeBackend({ repository: root, intraOpThreads: 1 });
    await closing.load();
    const inputs = [11, 12, 13, 14].map((seed) => seededFloats(NANODET_INPUT_SIZE, seed));
    const inFlight = inputs.map((input) => closing.infer(request(input)));
    await closing.close();
    const results = await Promise.all(inFlight);
    for (const [index, result] of results.entries()) {
      expect(result.outputs[0].data).toEqual((await nanodetReference(inputs[index], 1)).cls_s32);
    }
  });
});

describe('OnnxRuntimeBackend circuit breaker (the runtime as one endpoint)', () => {
  let root: string;
  let backend: OnnxRuntimeBackend;
  const events: string[] = [];
  const observer: BackendProtectionObserver = {
    created: (endpoint) => events.push(`${endpoint} created`),
    transition: (endpoint, from, to) => events.push(`${endpoint} ${from}→${to}`),
    fastFail: (model) => events.push(`fast-fail ${model}`),
    retried: () => {},
    retryBudgetExhausted: () => {},
  };

  beforeAll(async () => {
    Logger.overrideLogger(false);
    root = repositoryWithInstances(1);
    backend = new OnnxRuntimeBackend({
      repository: root,
      intraOpThreads: 1,
      breaker: {
        errorThresholdPercent: 50,
        volumeThreshold: 3,
        windowMs: 60_000,
        resetTimeoutMs: 300,
      },
      observer,
    });
    await backend.load();
  });
  afterAll(async () => {
    await backend.close();
    rmSync(root, { recursive: true, force: true });
    Logger.overrideLogger(['error', 'warn', 'log']);
  });

  /** The real worker threads of nanodet's instances (a crash is injected by terminating them). */
  function workers(): Worker[] {
    const internals = backend as unknown as {
      models: Map<string, { pools: Map<string, { instances: { worker: Worker }[] }> }>;
    };
    const pool = internals.models.get('nanodet')?.pools.get('1');
    return pool?.instances.map((instance) => instance.worker) ?? [];
  }

  it("a client's bad input never opens it", async () => {
    const wrongShape: InferRequest = {
      ...request(seededFloats(3 * 8 * 8)),
      inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3, 8, 8], data: seededFloats(192) }],
    };
    for (let i = 0; i < 6; i += 1) {
      await expect(backend.infer(wrongShape)).rejects.toMatchObject({ kind: 'invalid_argument' });
    }
    expect(events).toEqual(['embedded created']);
  });

  it('a runtime without a live instance opens it: callers get 503 with Retry-After at once; a probe closes it', async () => {
    const input = seededFloats(NANODET_INPUT_SIZE, 5);
    // The instance dies (terminated while idle: ONNX Runtime aborts the process if a thread is
    // terminated mid-run); until its replacement has loaded, runs fail with unavailable.
    await Promise.all(workers().map((worker) => worker.terminate()));
    expect(workers()).toEqual([]);
    // 8 failures against the 6 client errors of the test before (which count as answers): > 50%.
    const failures = await Promise.all(
      Array.from({ length: 8 }, () =>
        backend.infer(request(input)).catch((error: unknown) => error),
      ),
    );
    expect(failures[0]).toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining('is not loaded'),
    });
    for (const failure of failures) expect(failure).toMatchObject({ kind: 'unavailable' });
    expect(events).toContain('embedded closed→open');

    const refused = await backend.infer(request(input)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BreakerRefusal);
    expect(refused).toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining(
        'the embedded ONNX Runtime refused the call: circuit breaker open',
      ),
      hints: { retryAfterMs: expect.any(Number) },
    });
    expect(events).toContain('fast-fail nanodet');

    // After the reset timeout one probe goes through; the replacement instance answers it.
    const deadline = Date.now() + 30_000;
    let answered = false;
    while (!answered && Date.now() < deadline) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      answered = await backend.infer(request(input)).then(
        () => true,
        () => false,
      );
    }
    expect(answered).toBe(true);
    expect(events).toContain('embedded open→half_open');
    expect(events[events.length - 1]).toBe('embedded half_open→closed');
  }, 60_000);
});
