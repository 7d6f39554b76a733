import type { ModelInferResponse } from '@contracts/generated/inference/grpc_service_pb';
import type { InferClient } from './infer-client';
import type { InferPayload } from './tensors';

/**
 * Largest absolute difference tolerated between a configuration's outputs and the unbatched ones.
 * ONNX Runtime's CPU kernels compute each image of a batch as alone (gateway/test/batching.spec.ts
 * checks exact bytes); the tolerance only keeps float noise of another build from failing a run.
 */
const TOLERANCE = 1e-4;

export interface Agreement {
  configuration: string;
  reference: string;
  /** Largest |difference| over every output value of every image. */
  maxAbsDiff: number;
  agree: boolean;
}

/** The six outputs of each image, as float32, from all payloads sent at once (so they can batch). */
export async function answersOf(
  client: InferClient,
  payloads: readonly InferPayload[],
): Promise<Float32Array[][]> {
  const responses = await Promise.all(
    payloads.map((payload, index) => client.infer(payload.request, index)),
  );
  return responses.map(floatsOf);
}

export function compareAnswers(
  configuration: string,
  reference: string,
  expected: readonly Float32Array[][],
  actual: readonly Float32Array[][],
): Agreement {
  let maxAbsDiff = 0;
  expected.forEach((outputs, image) =>
    outputs.forEach((values, output) => {
      const other = actual[image]?.[output];
      if (other?.length !== values.length) {
        maxAbsDiff = Number.POSITIVE_INFINITY;
        return;
      }
      for (let i = 0; i < values.length; i += 1) {
        const diff = Math.abs(values[i] - other[i]);
        // NaN compares false: count it as a disagreement, not as zero.
        if (!(diff <= maxAbsDiff)) maxAbsDiff = Number.isNaN(diff) ? Infinity : diff;
      }
    }),
  );
  return { configuration, reference, maxAbsDiff, agree: maxAbsDiff <= TOLERANCE };
}

function floatsOf(response: ModelInferResponse): Float32Array[] {
  return (
    response.outputs
      .map((output, index) => ({ name: output.name, bytes: response.rawOutputContents[index] }))
      .sort((a, b) => a.name.localeCompare(b.name))
      // A copy: the received bytes may sit at an offset that is not a multiple of 4.
      .map(({ bytes }) => new Float32Array(Uint8Array.prototype.slice.call(bytes).buffer))
  );
}
