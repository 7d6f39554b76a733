import { notFound } from '../errors/gateway-error';
import { tensorCallImages } from './call-images';
import type {
  InferenceBackend,
  InferRequest,
  ModelMetadata,
} from '../request-path/inference-backend';

const backend = (maxBatchSize: Record<string, number>): InferenceBackend =>
  ({
    resolve: (model: string) => {
      if (!(model in maxBatchSize)) throw notFound(`unknown model '${model}'`);
      return { metadata: { maxBatchSize: maxBatchSize[model] } as ModelMetadata };
    },
  }) as unknown as InferenceBackend;

const request = (model: string, shape: number[]): InferRequest => ({
  model,
  version: '',
  inputs: [{ name: 'x', datatype: 'FP32', shape, data: new Float32Array(0) }],
  outputs: [],
});

describe('tensorCallImages', () => {
  const models = backend({ batching: 8, fixed: 0 });

  it('counts the batch size of a batching model', () => {
    expect(tensorCallImages(request('batching', [4, 3, 8, 8]), models)).toBe(4);
  });

  it('counts at most max_batch_size: a declared batch of a billion costs one full batch, not a billion', () => {
    expect(tensorCallImages(request('batching', [1e9, 3, 8, 8]), models)).toBe(8);
  });

  it('counts one for a model without a batch dimension, an unknown model or a bad shape', () => {
    expect(tensorCallImages(request('fixed', [3, 8, 8]), models)).toBe(1);
    expect(tensorCallImages(request('yolo', [4, 3, 8, 8]), models)).toBe(1);
    expect(tensorCallImages(request('batching', [-1, 3]), models)).toBe(1);
    expect(tensorCallImages({ ...request('batching', []), inputs: [] }, models)).toBe(1);
  });
});
