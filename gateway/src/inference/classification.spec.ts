import { create } from '@bufbuild/protobuf';
import { ModelConfigSchema } from '@contracts/generated/inference/model_config_pb';
import type { KServeDatatype } from '@contracts/kserve/datatype';
import { GatewayError } from '../errors/gateway-error';
import { runAtOnce } from '../event-loop/sliced-work';
import type { InferResponse, ModelMetadata } from '../request-path/inference-backend';
import {
  checkClassCounts,
  classCountOf,
  classified,
  formatValue,
  type ClassCounts,
} from './classification';
import { type BytesTensorData, type TensorData } from './tensor';

/** A model with a labelled `scores` output and an unlabelled `other`, batching when asked. */
function model(maxBatchSize: number, scoresShape: number[] = [-1, 4]): ModelMetadata {
  return {
    name: 'classifier',
    versions: ['1'],
    platform: 'onnxruntime_onnx',
    inputs: [],
    outputs: [
      { name: 'scores', datatype: 'FP32', shape: scoresShape },
      { name: 'other', datatype: 'INT64', shape: [-1, 3] },
      { name: 'half', datatype: 'FP16', shape: [-1, 3] },
    ],
    maxBatchSize,
    labels: ['cat', 'dog', '', 'bird'],
    parameters: {},
    config: create(ModelConfigSchema, {
      name: 'classifier',
      output: [
        { name: 'scores', labelFilename: 'labels.txt' },
        { name: 'other' },
        { name: 'half' },
      ],
    }),
  };
}

function answer(name: string, datatype: KServeDatatype, shape: number[], data: TensorData) {
  const response: InferResponse = {
    model: 'classifier',
    version: '1',
    outputs: [{ name, datatype, shape, data }],
  };
  return response;
}

function strings(response: InferResponse): { shape: number[]; datatype: string; values: string[] } {
  const [tensor] = response.outputs;
  const data = tensor.data as BytesTensorData;
  const values = [...data.elements()].map((element) => Buffer.from(element).toString());
  return { shape: tensor.shape, datatype: tensor.datatype, values };
}

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('was accepted');
}

const counts = (entries: [string, number][]): ClassCounts => new Map(entries);

describe('classification extension', () => {
  it('answers each batch row as its top N "value:index:label" strings, BYTES [batch, N]', () => {
    const response = answer(
      'scores',
      'FP32',
      [2, 4],
      Float32Array.of(0.1, 0.7, 0.05, 0.15, 0.9, 0.2, 0.3, 0.25),
    );
    const result = runAtOnce(classified(response, counts([['scores', 2]]), model(8)));
    expect(strings(result)).toEqual({
      shape: [2, 2],
      datatype: 'BYTES',
      // Row 1's index 2 has an empty line in the labels file: no label, as Triton.
      values: ['0.700000:1:dog', '0.150000:3:bird', '0.900000:0:cat', '0.300000:2'],
    });
  });

  it('classifies the whole tensor of a model that does not batch, shape [N]', () => {
    const response = answer('scores', 'FP32', [4], Float32Array.of(3, 1, 4, 2));
    const result = runAtOnce(classified(response, counts([['scores', 3]]), model(0, [4])));
    expect(strings(result)).toMatchObject({
      shape: [3],
      values: ['4.000000:2', '3.000000:0:cat', '2.000000:3:bird'],
    });
  });

  it('ranks equal values by index and NaN last; outputs without a label file get none', () => {
    const response = answer('other', 'INT64', [1, 3], BigInt64Array.of(5n, 9n, 5n));
    expect(
      strings(runAtOnce(classified(response, counts([['other', 3]]), model(8)))).values,
    ).toEqual(['9:1', '5:0', '5:2']);
    const withNaN = answer('scores', 'FP32', [1, 4], Float32Array.of(Number.NaN, -1, 0, -0.5));
    expect(
      strings(runAtOnce(classified(withNaN, counts([['scores', 4]]), model(8)))).values,
    ).toEqual(['0.000000:2', '-0.500000:3:bird', '-1.000000:1:dog', 'nan:0:cat']);
  });

  it('finds the top N of a long row as a full sort would', () => {
    const length = 50_000;
    const values = new Float32Array(length);
    let seed = 7;
    for (let i = 0; i < length; i += 1) {
      seed = (seed * 48271) % 2147483647;
      values[i] = (seed % 1000) / 1000; // many ties
    }
    const metadata = model(8, [-1, length]);
    const result = runAtOnce(
      classified(answer('scores', 'FP32', [1, length], values), counts([['scores', 25]]), metadata),
    );
    const expected = [...values.keys()]
      .sort((a, b) => values[b] - values[a] || a - b)
      .slice(0, 25)
      .map((index) => `${formatValue(values[index], 'FP32')}:${index}`);
    expect(strings(result).values.map((value) => value.split(':').slice(0, 2).join(':'))).toEqual(
      expected,
    );
  });

  it.each([
    [0.5, 'FP32', '0.500000'],
    [1 / 3, 'FP64', '0.333333'],
    [123456.789, 'FP64', '123456.789000'],
    [-0, 'FP32', '-0.000000'],
    [-1e-9, 'FP64', '-0.000000'],
    [1e22, 'FP64', '10000000000000000000000.000000'],
    [0.0078125, 'FP64', '0.007812'], // an exact tie: printf rounds to even
    [0.0234375, 'FP64', '0.023438'],
    [Number.POSITIVE_INFINITY, 'FP32', 'inf'],
    [Number.NEGATIVE_INFINITY, 'FP32', '-inf'],
    [255, 'UINT8', '255'],
    [-7, 'INT8', '-7'],
    [18446744073709551615n, 'UINT64', '18446744073709551615'],
  ] as const)('writes %p (%s) as std::to_string does: %s', (value, datatype, expected) => {
    expect(formatValue(value, datatype)).toBe(expected);
  });

  it.each([0, -1, 1.5, '3', true, null, 2 ** 60])(
    'refuses classification %p naming the output and the parameter',
    (value) => {
      const error = refusal(() => classCountOf('scores', value));
      expect(error.kind).toBe('invalid_argument');
      expect(error.message).toMatch(
        /^output 'scores': parameter 'classification' must be a positive integer/,
      );
    },
  );

  it('answers a whole row, ranked, when asked for more classes than it holds (as Triton)', () => {
    expect(() => checkClassCounts(model(8), counts([['scores', 5]]))).not.toThrow();
    const variable = model(8, [-1, -1]);
    const response = answer('scores', 'FP32', [1, 3], Float32Array.of(1, 3, 2));
    expect(strings(runAtOnce(classified(response, counts([['scores', 9]]), variable)))).toEqual({
      shape: [1, 3],
      datatype: 'BYTES',
      values: ['3.000000:1:dog', '2.000000:2', '1.000000:0:cat'],
    });
  });

  it('refuses datatypes Triton does not classify', () => {
    expect(refusal(() => checkClassCounts(model(8), counts([['half', 1]]))).message).toMatch(
      /^output 'half': parameter 'classification' needs a numeric output .* it is FP16$/,
    );
  });
});
