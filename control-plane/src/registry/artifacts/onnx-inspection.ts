import { InferenceSession, Tensor } from 'onnxruntime-node';
import { onnxSignatureOf, type OnnxSignature } from '@model-repository';

export interface OnnxInspection {
  signature: OnnxSignature;
  /** Runs the graph once on zeros (batch 1, variable dims 1): the version computes, not only parses. */
  warmUp(): Promise<void>;
  release(): Promise<void>;
}

/** Opens the file in ONNX Runtime; throws ONNX Runtime's own message when it is not a loadable model. */
export async function inspectOnnx(file: string): Promise<OnnxInspection> {
  const session = await InferenceSession.create(file, {
    graphOptimizationLevel: 'basic',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const signature = onnxSignatureOf(session);
  const { inputs } = signature;
  return {
    signature,
    async warmUp() {
      const feeds: Record<string, Tensor> = {};
      for (const input of inputs) {
        const dims = input.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : 1));
        feeds[input.name] = zeros(input.type ?? 'float32', dims);
      }
      const outputs = await session.run(feeds);
      for (const output of Object.values(outputs)) output.dispose();
    },
    release: () => session.release(),
  };
}

function zeros(type: string, dims: number[]): Tensor {
  const length = dims.reduce((product, dim) => product * dim, 1);
  switch (type) {
    case 'float32':
      return new Tensor('float32', new Float32Array(length), dims);
    case 'uint8':
      return new Tensor('uint8', new Uint8Array(length), dims);
    case 'int32':
      return new Tensor('int32', new Int32Array(length), dims);
    case 'int64':
      return new Tensor('int64', new BigInt64Array(length), dims);
    case 'float64':
      return new Tensor('float64', new Float64Array(length), dims);
    case 'bool':
      return new Tensor('bool', new Uint8Array(length), dims);
    default:
      throw new Error(`warm-up cannot make a ${type} input`);
  }
}
