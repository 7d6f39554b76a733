import { invalidArgument } from '../../errors/gateway-error';
import type { InferResponse, TensorMetadata } from '../inference-backend';
import { elementCount, type InferTensor } from '../tensor';
import type { InferenceContext, InferenceStage } from './inference-stage';

/**
 * Checks a request against the model's declared inputs and outputs before it costs backend time,
 * with errors that name the tensor and what was expected.
 */
export class ValidateRequestStage implements InferenceStage {
  readonly name = 'validate';

  async handle(
    context: InferenceContext,
    next: () => Promise<InferResponse>,
  ): Promise<InferResponse> {
    const { request, backend } = context;
    const metadata = backend.modelMetadata(request.model);
    request.version = backend.resolveVersion(request.model, request.version);
    context.metadata = metadata;

    const declared = new Map(metadata.inputs.map((input) => [input.name, input]));
    const seen = new Set<string>();
    let batch: number | undefined;
    for (const tensor of request.inputs) {
      const spec = declared.get(tensor.name);
      if (!spec) {
        throw invalidArgument(
          `unexpected input '${tensor.name}' for model '${metadata.name}'; expected ${names(metadata.inputs)}`,
        );
      }
      if (seen.has(tensor.name)) throw invalidArgument(`input '${tensor.name}' given twice`);
      seen.add(tensor.name);
      checkTensor(tensor, spec, metadata.maxBatchSize);
      if (metadata.maxBatchSize > 0) {
        if (batch !== undefined && tensor.shape[0] !== batch) {
          throw invalidArgument(
            `input '${tensor.name}' has batch size ${tensor.shape[0]} but other inputs have ${batch}`,
          );
        }
        batch = tensor.shape[0];
      }
    }
    const missing = metadata.inputs.filter((input) => !seen.has(input.name));
    if (missing.length > 0) {
      throw invalidArgument(`missing input ${names(missing)} for model '${metadata.name}'`);
    }
    const outputs = new Set(metadata.outputs.map((output) => output.name));
    for (const output of request.outputs) {
      if (!outputs.has(output)) {
        throw invalidArgument(
          `unknown output '${output}' for model '${metadata.name}'; expected ${names(metadata.outputs)}`,
        );
      }
    }
    return next();
  }
}

function names(tensors: readonly TensorMetadata[]): string {
  return tensors.map((tensor) => `'${tensor.name}'`).join(', ');
}

function checkTensor(tensor: InferTensor, spec: TensorMetadata, maxBatchSize: number): void {
  if (tensor.datatype !== spec.datatype) {
    throw invalidArgument(
      `input '${tensor.name}': datatype ${tensor.datatype} does not match the model's ${spec.datatype}`,
    );
  }
  const expected = `[${spec.shape.join(',')}]`;
  if (tensor.shape.length !== spec.shape.length) {
    throw invalidArgument(
      `input '${tensor.name}': shape [${tensor.shape.join(',')}] has rank ${tensor.shape.length}, expected ${expected}`,
    );
  }
  tensor.shape.forEach((dim, axis) => {
    const want = spec.shape[axis];
    if (!Number.isInteger(dim) || dim < 0 || (want !== -1 && dim !== want)) {
      throw invalidArgument(
        `input '${tensor.name}': shape [${tensor.shape.join(',')}] does not match ${expected}`,
      );
    }
  });
  if (maxBatchSize > 0 && (tensor.shape[0] < 1 || tensor.shape[0] > maxBatchSize)) {
    throw invalidArgument(
      `input '${tensor.name}': batch size ${tensor.shape[0]} is outside 1..${maxBatchSize}`,
    );
  }
  const count = elementCount(tensor.shape);
  if (tensor.data.length !== count) {
    throw invalidArgument(
      `input '${tensor.name}': shape [${tensor.shape.join(',')}] needs ${count} elements, got ${tensor.data.length}`,
    );
  }
}
