import { parseModelConfig } from '@model-repository';
import { loadGatewayConfig } from '../config/gateway-config';
import type { CallContext, Priority } from '../request-path/call-context';
import type {
  InferenceBackend,
  InferRequest,
  InferResponse,
  ModelMetadata,
} from '../request-path/inference-backend';
import type { InferenceContext } from '../request-path/inference-stage';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { ServedVersions } from '../serving/served-versions';
import { plainBackend } from '../../test/model-metadata-fixture';
import { BatchStage } from './batch.stage';

const IO = `input [ { name: "x" data_type: TYPE_FP32 dims: [ 2 ] } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 2 ] } ]`;

function metadata(name: string, text: string): ModelMetadata {
  const config = parseModelConfig(
    `name: "${name}" platform: "onnxruntime_onnx" ${IO} ${text}`,
    'test',
  );
  return {
    name,
    versions: ['1'],
    platform: 'onnxruntime_onnx',
    inputs: [],
    outputs: [],
    maxBatchSize: config.maxBatchSize,
    parameters: {},
    config,
  };
}

const call = (priority: Priority): CallContext => ({
  caller: { tenant: 't', subject: 'key:test', scopes: ['admin'] },
  priority,
  images: 1,
});

function context(
  model: ModelMetadata,
  value: number,
  priority: Priority = 'realtime',
): InferenceContext {
  const request: InferRequest = {
    model: model.name,
    version: '1',
    id: `id-${value}`,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: Float32Array.of(value, value) }],
    outputs: [],
  };
  return {
    request,
    call: call(priority),
    target: { model: model.name, version: '1', metadata: model },
    backend: {} as InferenceBackend,
    durations: [],
  };
}

/** The rest of the path: records the contexts it runs with and answers y = x + 1. */
function downstream() {
  const seen: (InferenceContext | undefined)[] = [];
  const next = (replacement?: InferenceContext): Promise<InferResponse> => {
    seen.push(replacement);
    const input = replacement?.request.inputs[0];
    const data = Float32Array.from((input?.data ?? []) as Float32Array, (value) => value + 1);
    return Promise.resolve({
      model: 'm',
      version: '1',
      outputs: [{ name: 'y', datatype: 'FP32', shape: input?.shape ?? [], data }],
    });
  };
  return { seen, next };
}

describe('BatchStage', () => {
  const batched = metadata(
    'batched',
    'max_batch_size: 4 dynamic_batching { preferred_batch_size: [ 2 ] max_queue_delay_microseconds: 5000000 }',
  );
  const plain = metadata('plain', 'max_batch_size: 4');
  let metrics: GatewayMetrics;
  let stage: BatchStage;
  let versions: ServedVersions;

  beforeEach(() => {
    metrics = new GatewayMetrics();
    const backend = plainBackend(batched, plain);
    versions = new ServedVersions(backend);
    stage = new BatchStage(loadGatewayConfig({}).batching, metrics, versions, backend);
  });
  afterEach(() => versions.onApplicationShutdown());

  it('passes requests of a model without dynamic_batching straight on, with their own context', async () => {
    const { seen, next } = downstream();
    await stage.handle(context(plain, 1), next);
    // next() without a replacement: the rest of the path runs with the request's own context.
    expect(seen).toEqual([undefined]);
    expect(stage.batcherOf('plain', '1')).toBeUndefined();
  });

  it('runs the rest of the path once per batch, with the merged request and the first member context', async () => {
    const { seen, next } = downstream();
    const first = context(batched, 10);
    const second = context(batched, 20, 'bulk');
    const answers = await Promise.all([stage.handle(first, next), stage.handle(second, next)]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ call: first.call, target: { metadata: batched } });
    expect(seen[0]?.request.inputs[0]).toMatchObject({
      shape: [2, 2],
      data: Float32Array.of(10, 10, 20, 20),
    });
    expect(
      answers.map((answer) => [answer.id, Array.from(answer.outputs[0].data as Float32Array)]),
    ).toEqual([
      ['id-10', [11, 11]],
      ['id-20', [21, 21]],
    ]);
    const delays = await metrics.batchQueueDelay.get();
    const counts = delays.values
      .filter((value) => value.metricName === 'gateway_batch_queue_delay_seconds_count')
      .map((value) => [value.labels.priority, value.value]);
    expect(counts).toEqual(
      expect.arrayContaining([
        ['realtime', 1],
        ['bulk', 1],
      ]),
    );
  });
});
