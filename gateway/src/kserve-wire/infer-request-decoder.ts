import type {
  ModelInferRequestHeader,
  RequestedOutputHeader,
} from '@contracts/grpc/model-infer-request-header';
import { classCountOf } from '../inference/classification';
import { invalidArgument } from '../errors/gateway-error';
import type { InferRequest, ModelMetadata } from '../request-path/inference-backend';
import { runSliced } from '../event-loop/sliced-work';
import { tensorOverRaw, type InferTensor } from '../inference/tensor';
import { checkSignature, quoted } from '../inference/tensor-signature';
import { decodeContents } from './tensor-contents-decoder';

const MAX_DIMENSION = BigInt(2 ** 31 - 1);

/**
 * A ModelInferRequest's elements decoded into the gateway's request, once its header has been
 * checked against `metadata` (the model it names): a request the model cannot take costs what its
 * header costs. Elements come from raw_input_contents (views, BYTES framing walked in slices) or
 * from typed contents (decoded in slices, bounded by the checked shape).
 */
export async function decodeInferRequest(
  header: ModelInferRequestHeader,
  metadata: ModelMetadata,
): Promise<InferRequest> {
  const raw = header.rawInputContents;
  const useRaw = raw.length > 0;
  if (useRaw && raw.length !== header.inputs.length) {
    throw invalidArgument(
      `raw_input_contents has ${raw.length} entries for ${header.inputs.length} inputs`,
    );
  }
  const inputs = header.inputs.map((input) => {
    const label = `input ${quoted(input.name)}`;
    if (useRaw && input.contents.length > 0) {
      throw invalidArgument(`${label}: contents must be empty when raw_input_contents is used`);
    }
    if (!useRaw && input.contents.length === 0) throw invalidArgument(`${label} has no contents`);
    return {
      name: input.name,
      datatype: input.datatype,
      shape: shapeFromProto(label, input.shape),
    };
  });
  const outputs = header.outputs.map((output) => output.name);
  const checked = checkSignature(metadata, inputs, outputs);

  const tensors: InferTensor[] = [];
  for (const [index, input] of checked.entries()) {
    const label = `input '${input.name}'`;
    const { name, datatype, shape } = input;
    tensors.push(
      useRaw
        ? await runSliced(tensorOverRaw(label, name, datatype, shape, raw[index]))
        : {
            name,
            datatype,
            shape,
            data: await runSliced(
              decodeContents(label, datatype, shape, input.count, header.inputs[index].contents),
            ),
          },
    );
  }
  const classCounts = classCountsOf(header.outputs);
  const request: InferRequest = {
    model: header.modelName,
    version: header.modelVersion,
    id: header.id || undefined,
    inputs: tensors,
    outputs,
    ...(classCounts.size > 0 && { classCounts }),
  };
  if (!useRaw || !header.onlyTensors) return request;
  const { model, version, id } = request;
  return {
    ...request,
    encoded: { bytes: header.message, of: { model, version, id, inputs: tensors, outputs } },
  };
}

/**
 * The classification extension: outputs whose `classification` parameter is an int64_param, as
 * tritonclient's `InferRequestedOutput(name, class_count=N)` sends it (Triton takes no other kind).
 */
function classCountsOf(outputs: readonly RequestedOutputHeader[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const output of outputs) {
    const choice = output.parameters?.classification?.parameterChoice;
    if (choice === undefined) continue;
    if (choice.case !== 'int64Param') {
      throw invalidArgument(
        `output ${quoted(output.name)}: parameter 'classification' must be an int64_param, got ${choice.case ?? 'no value'}`,
      );
    }
    const value = choice.value;
    const asNumber = value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    counts.set(output.name, classCountOf(output.name, asNumber));
  }
  return counts;
}

export function shapeFromProto(label: string, shape: readonly bigint[]): number[] {
  return shape.map((dim) => {
    if (dim < 0n || dim > MAX_DIMENSION) {
      throw invalidArgument(`${label}: invalid dimension ${dim}`);
    }
    return Number(dim);
  });
}
