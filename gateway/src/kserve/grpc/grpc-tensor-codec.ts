import { create } from '@bufbuild/protobuf';
import { isKServeDatatype, type KServeDatatype } from '@contracts/kserve/datatype';
import {
  ModelInferRequest_InferInputTensorSchema,
  ModelInferRequest_InferRequestedOutputTensorSchema,
  ModelInferRequestSchema,
  ModelInferResponse_InferOutputTensorSchema,
  ModelInferResponseSchema,
  type InferTensorContents,
  type ModelInferRequest,
  type ModelInferResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import { invalidArgument } from '../../errors/gateway-error';
import type { InferRequest, InferResponse } from '../../inference/inference-backend';
import {
  elementCount,
  fromRawBytes,
  storageFor,
  toRawBytes,
  type InferTensor,
  type TensorData,
} from '../../inference/tensor';

const MAX_DIMENSION = BigInt(2 ** 31 - 1);

// Both directions live here because the gateway is a KServe v2 gRPC server (request in, response
// out) and a client of Triton (request out, response in): one codec, shared by the front door and
// the Triton backend.

/** ModelInferRequest (raw_input_contents or typed contents) → the gateway's request. */
export function inferRequestFromProto(message: ModelInferRequest): InferRequest {
  return {
    model: message.modelName,
    version: message.modelVersion,
    id: message.id || undefined,
    inputs: tensorsFromProto('input', message.inputs, message.rawInputContents),
    outputs: message.outputs.map((output) => output.name),
  };
}

/**
 * ModelInferResponse (raw_output_contents, as Triton answers, or typed contents) → the gateway's
 * response. Throws invalid_argument naming the output when the message is inconsistent.
 */
export function inferResponseFromProto(message: ModelInferResponse): InferResponse {
  return {
    model: message.modelName,
    version: message.modelVersion,
    id: message.id || undefined,
    outputs: tensorsFromProto('output', message.outputs, message.rawOutputContents),
  };
}

type Role = 'input' | 'output';

interface ProtoTensor {
  name: string;
  datatype: string;
  shape: bigint[];
  contents?: InferTensorContents;
}

/** Input or output tensors of a message: raw contents (one entry per tensor) or typed contents. */
function tensorsFromProto(role: Role, tensors: ProtoTensor[], raw: Uint8Array[]): InferTensor[] {
  const useRaw = raw.length > 0;
  if (useRaw && raw.length !== tensors.length) {
    throw invalidArgument(
      `raw_${role}_contents has ${raw.length} entries for ${tensors.length} ${role}s`,
    );
  }
  return tensors.map((tensor, index): InferTensor => {
    const { name, datatype } = tensor;
    const label = `${role} '${name}'`;
    if (!isKServeDatatype(datatype)) {
      throw invalidArgument(`${label}: unknown datatype '${datatype}'`);
    }
    const shape = shapeFromProto(label, tensor.shape);
    if (useRaw) {
      if (tensor.contents) {
        throw invalidArgument(`${label}: contents must be empty when raw_${role}_contents is used`);
      }
      return { name, datatype, shape, data: fromRawBytes(label, datatype, shape, raw[index]) };
    }
    if (!tensor.contents) throw invalidArgument(`${label} has no contents`);
    return {
      name,
      datatype,
      shape,
      data: fromContents(role, label, datatype, shape, tensor.contents),
    };
  });
}

function shapeFromProto(label: string, shape: bigint[]): number[] {
  return shape.map((dim) => {
    if (dim < 0n || dim > MAX_DIMENSION)
      throw invalidArgument(`${label}: invalid dimension ${dim}`);
    return Number(dim);
  });
}

function fromContents(
  role: Role,
  label: string,
  datatype: KServeDatatype,
  shape: number[],
  contents: InferTensorContents,
): TensorData {
  const count = elementCount(shape);
  const check = (length: number, field: string): void => {
    if (length !== count) {
      throw invalidArgument(
        `${label}: ${field} has ${length} elements, shape [${shape.join(',')}] needs ${count}`,
      );
    }
  };
  switch (datatype) {
    case 'BYTES':
      check(contents.bytesContents.length, 'bytes_contents');
      return contents.bytesContents;
    case 'BOOL':
      check(contents.boolContents.length, 'bool_contents');
      return Uint8Array.from(contents.boolContents, (value) => (value ? 1 : 0));
    case 'INT8':
    case 'INT16':
    case 'INT32':
      check(contents.intContents.length, 'int_contents');
      return fill(datatype, contents.intContents);
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      check(contents.uintContents.length, 'uint_contents');
      return fill(datatype, contents.uintContents);
    case 'INT64':
      check(contents.int64Contents.length, 'int64_contents');
      return BigInt64Array.from(contents.int64Contents);
    case 'UINT64':
      check(contents.uint64Contents.length, 'uint64_contents');
      return BigUint64Array.from(contents.uint64Contents);
    case 'FP32':
      check(contents.fp32Contents.length, 'fp32_contents');
      return Float32Array.from(contents.fp32Contents);
    case 'FP64':
      check(contents.fp64Contents.length, 'fp64_contents');
      return Float64Array.from(contents.fp64Contents);
    default:
      throw invalidArgument(`${label}: ${datatype} data must be sent in raw_${role}_contents`);
  }
}

function fill(
  datatype: 'INT8' | 'INT16' | 'INT32' | 'UINT8' | 'UINT16' | 'UINT32',
  values: number[],
): TensorData {
  const storage = new (storageFor(datatype))(values.length) as Int32Array;
  storage.set(values);
  return storage;
}

/** The gateway's response → ModelInferResponse with raw_output_contents, as Triton answers. */
export function inferResponseToProto(response: InferResponse): ModelInferResponse {
  return create(ModelInferResponseSchema, {
    modelName: response.model,
    modelVersion: response.version,
    id: response.id ?? '',
    outputs: response.outputs.map((output) =>
      create(ModelInferResponse_InferOutputTensorSchema, {
        name: output.name,
        datatype: output.datatype,
        shape: output.shape.map(BigInt),
      }),
    ),
    rawOutputContents: response.outputs.map((output) => toRawBytes(output.data)),
  });
}

/** The gateway's request → ModelInferRequest with raw_input_contents: how the gateway calls Triton. */
export function inferRequestToProto(request: InferRequest): ModelInferRequest {
  return create(ModelInferRequestSchema, {
    modelName: request.model,
    modelVersion: request.version,
    id: request.id ?? '',
    inputs: request.inputs.map((input) =>
      create(ModelInferRequest_InferInputTensorSchema, {
        name: input.name,
        datatype: input.datatype,
        shape: input.shape.map(BigInt),
      }),
    ),
    outputs: request.outputs.map((name) =>
      create(ModelInferRequest_InferRequestedOutputTensorSchema, { name }),
    ),
    rawInputContents: request.inputs.map((input) => toRawBytes(input.data)),
  });
}
