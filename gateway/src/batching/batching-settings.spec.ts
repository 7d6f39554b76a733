import { parseModelConfig } from '@model-repository';
import type { ModelMetadata } from '../request-path/inference-backend';
import { resolveBatchingSettings, type BatchingDefaults } from './batching-settings';

const DEFAULTS: BatchingDefaults = {
  mode: 'auto',
  maxQueue: 256,
  maxBatchesInFlight: 0,
  p99ObjectiveMs: 100,
};

const IO = `input [ { name: "x" data_type: TYPE_FP32 dims: [ 3 ] } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 3 ] } ]`;

function metadata(text: string, parameters: Record<string, string> = {}): ModelMetadata {
  const config = parseModelConfig(`name: "m" platform: "onnxruntime_onnx" ${IO} ${text}`, 'test');
  return {
    name: 'm',
    versions: ['1'],
    platform: 'onnxruntime_onnx',
    inputs: [],
    outputs: [],
    maxBatchSize: config.maxBatchSize,
    parameters,
    config,
  };
}

describe('resolveBatchingSettings', () => {
  it("reads the model's dynamic_batching block (auto: fixed where there is one)", () => {
    const settings = resolveBatchingSettings(
      metadata(`max_batch_size: 8
        dynamic_batching { preferred_batch_size: [ 8, 4 ] max_queue_delay_microseconds: 2000 }
        instance_group [ { count: 2 kind: KIND_CPU } ]`),
      DEFAULTS,
      3,
    );
    expect(settings).toEqual({
      mode: 'fixed',
      maxBatchSize: 8,
      preferredBatchSizes: [4, 8],
      maxQueueDelayMs: 2,
      maxBatchesInFlight: 6, // 2 instances × 3 endpoints
      queuePolicies: [
        { maxQueueSize: 256, timeoutMs: 0, allowTimeoutOverride: false, onTimeout: 'reject' },
        { maxQueueSize: 256, timeoutMs: 0, allowTimeoutOverride: false, onTimeout: 'reject' },
      ],
      p99ObjectiveMs: 100,
    });
  });

  it('without GATEWAY_BATCH_MAX_QUEUE, bounds a batch queue by admission alone (every request in it holds a slot)', () => {
    const settings = resolveBatchingSettings(
      metadata('max_batch_size: 8 dynamic_batching { }'),
      { ...DEFAULTS, maxQueue: undefined },
      1,
    );
    expect(settings?.queuePolicies.map((policy) => policy.maxQueueSize)).toEqual([
      Infinity,
      Infinity,
    ]);
  });

  it('leaves models without a block, or that cannot batch, unbatched unless told', () => {
    expect(resolveBatchingSettings(metadata('max_batch_size: 8'), DEFAULTS, 1)).toBeUndefined();
    expect(
      resolveBatchingSettings(metadata('max_batch_size: 1 dynamic_batching { }'), DEFAULTS, 1),
    ).toBeUndefined();
    expect(
      resolveBatchingSettings(
        metadata('max_batch_size: 8 dynamic_batching { }'),
        { ...DEFAULTS, mode: 'off' },
        1,
      ),
    ).toBeUndefined();
    // Forced on: Triton's defaults (no delay, no preferred sizes).
    expect(
      resolveBatchingSettings(metadata('max_batch_size: 8'), { ...DEFAULTS, mode: 'fixed' }, 1),
    ).toMatchObject({
      mode: 'fixed',
      maxBatchSize: 8,
      preferredBatchSizes: [],
      maxQueueDelayMs: 0,
      maxBatchesInFlight: 1,
    });
  });

  it("applies the gateway's overrides; the batch size never exceeds the model's", () => {
    const model = metadata(`max_batch_size: 8
      dynamic_batching { preferred_batch_size: [ 4, 8 ] max_queue_delay_microseconds: 2000 }`);
    expect(
      resolveBatchingSettings(
        model,
        {
          ...DEFAULTS,
          mode: 'adaptive',
          maxQueueDelayUs: 500,
          maxBatchSize: 6,
          maxBatchesInFlight: 3,
        },
        1,
      ),
    ).toMatchObject({
      mode: 'adaptive',
      maxBatchSize: 6,
      preferredBatchSizes: [4],
      maxQueueDelayMs: 0.5,
      maxBatchesInFlight: 3,
    });
    expect(resolveBatchingSettings(model, { ...DEFAULTS, maxBatchSize: 64 }, 1)?.maxBatchSize).toBe(
      8,
    );
  });

  it('maps priority levels and queue policies (per level, else the default policy)', () => {
    const settings = resolveBatchingSettings(
      metadata(`max_batch_size: 4
        dynamic_batching {
          priority_levels: 3
          default_priority_level: 1
          default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 5000 allow_timeout_override: true max_queue_size: 10 }
          priority_queue_policy { key: 3 value { max_queue_size: 2 } }
        }`),
      DEFAULTS,
      1,
    );
    expect(settings?.queuePolicies).toEqual([
      { maxQueueSize: 10, timeoutMs: 5, allowTimeoutOverride: true, onTimeout: 'delay' },
      { maxQueueSize: 10, timeoutMs: 5, allowTimeoutOverride: true, onTimeout: 'delay' },
      { maxQueueSize: 2, timeoutMs: 0, allowTimeoutOverride: false, onTimeout: 'reject' },
    ]);
  });

  it('takes a p99 objective from the model, and warns about a bad one', () => {
    const text = 'max_batch_size: 8 dynamic_batching { }';
    const warnings: string[] = [];
    const warn = (message: string) => warnings.push(message);
    expect(
      resolveBatchingSettings(
        metadata(text, { 'gateway.batching.p99_objective_ms': '40' }),
        DEFAULTS,
        1,
        warn,
      )?.p99ObjectiveMs,
    ).toBe(40);
    expect(
      resolveBatchingSettings(
        metadata(text, { 'gateway.batching.p99_objective_ms': 'soon' }),
        DEFAULTS,
        1,
        warn,
      )?.p99ObjectiveMs,
    ).toBe(100);
    expect(warnings).toEqual([
      "model 'm': parameter gateway.batching.p99_objective_ms 'soon' is not a positive number of ms; using 100",
    ]);
  });
});
