import { create, toBinary } from '@bufbuild/protobuf';
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
import { EncodedMessage, wireBytesOf } from '@contracts/grpc/encoded-message';
import { invalidArgument } from '../errors/gateway-error';
import { answerTooLarge } from './answer-size';
import {
  stillEncoded,
  type InferRequest,
  type InferResponse,
} from '../request-path/inference-backend';
import { runAtOnce } from '../event-loop/sliced-work';
import {
  BytesTensorData,
  elementCount,
  rawBytesOf,
  storageFor,
  tensorOverRaw,
  type InferTensor,
  type TensorData,
} from '../inference/tensor';
import { shapeFromProto } from './infer-request-decoder';

// The gateway is a KServe v2 gRPC server (request in: infer-request-decoder.ts, which reads
// requests from their wire header; response out: here) and a client of Triton (request out and
// response in: here, with protobuf-es messages, Triton being trusted to send what its models give).

/**
 * ModelInferResponse (raw_output_contents, as Triton answers, or typed contents) → the gateway's
 * response. Throws invalid_argument naming the output when the message is inconsistent.
 */
export function inferResponseFromProto(message: ModelInferResponse): InferResponse {
  const response: InferResponse = {
    model: message.modelName,
    version: message.modelVersion,
    id: message.id || undefined,
    outputs: outputsFromProto(message.outputs, message.rawOutputContents),
  };
  const bytes = wireBytesOf(message);
  // Only a message the gateway would write the same way: parameters would be answered too.
  const plain =
    Object.keys(message.parameters).length === 0 &&
    message.outputs.every((output) => Object.keys(output.parameters).length === 0);
  return bytes && plain ? { ...response, encoded: { bytes, of: { ...response } } } : response;
}

interface ProtoTensor {
  name: string;
  datatype: string;
  shape: bigint[];
  contents?: InferTensorContents;
}

/** A response's outputs: raw contents (one entry per tensor) or typed contents. */
function outputsFromProto(tensors: ProtoTensor[], raw: Uint8Array[]): InferTensor[] {
  const useRaw = raw.length > 0;
  if (useRaw && raw.length !== tensors.length) {
    throw invalidArgument(
      `raw_output_contents has ${raw.length} entries for ${tensors.length} outputs`,
    );
  }
  return tensors.map((tensor, index): InferTensor => {
    const { name, datatype } = tensor;
    const label = `output '${name}'`;
    if (!isKServeDatatype(datatype)) {
      throw invalidArgument(`${label}: unknown datatype '${datatype}'`);
    }
    const shape = shapeFromProto(label, tensor.shape);
    if (useRaw) {
      if (tensor.contents) {
        throw invalidArgument(`${label}: contents must be empty when raw_output_contents is used`);
      }
      // Not sliced: a response from Triton, within the gateway's own message limit.
      return runAtOnce(tensorOverRaw(label, name, datatype, shape, raw[index]));
    }
    if (!tensor.contents) throw invalidArgument(`${label} has no contents`);
    return {
      name,
      datatype,
      shape,
      data: fromContents(label, datatype, shape, tensor.contents),
    };
  });
}

function fromContents(
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
      return BytesTensorData.of(contents.bytesContents);
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
      throw invalidArgument(`${label}: ${datatype} data must be sent in raw_output_contents`);
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

/**
 * The gateway's answer to a unary ModelInfer: the backend's own bytes when the response is still
 * what they say (nothing to encode or copy), else inferResponseToProto. Either is refused over
 * `maxBytes`.
 */
export function inferAnswerToGrpc(
  response: InferResponse,
  maxBytes: number,
): ModelInferResponse | EncodedMessage {
  const { encoded } = response;
  if (stillEncoded(response, encoded)) {
    if (encoded.bytes.byteLength > maxBytes) {
      throw answerTooLarge(encoded.bytes.byteLength, maxBytes, 'grpc');
    }
    return new EncodedMessage(ModelInferResponseSchema.typeName, encoded.bytes);
  }
  return inferResponseToProto(response, maxBytes);
}

/**
 * The gateway's response → ModelInferResponse with raw_output_contents, as Triton answers; its
 * exact encoded size is known before a byte of it is written (bulkBytesEncoder writes it), and one
 * over `maxBytes` (GATEWAY_MAX_BODY_BYTES) is refused.
 */
export function inferResponseToProto(
  response: InferResponse,
  maxBytes: number,
): ModelInferResponse {
  const message = create(ModelInferResponseSchema, {
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
  });
  const raw = response.outputs.map(rawBytesOf);
  // Each raw_output_contents entry: a one-byte tag, its length as a varint, its bytes.
  const size = raw.reduce(
    (sum, bytes) => sum + 1 + varintSize(bytes.byteLength) + bytes.byteLength,
    toBinary(ModelInferResponseSchema, message).byteLength,
  );
  if (size > maxBytes) throw answerTooLarge(size, maxBytes, 'grpc');
  message.rawOutputContents = raw;
  return message;
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value >>> 7; rest > 0; rest >>>= 7) size += 1;
  return size;
}

/**
 * How the gateway calls Triton with `request` for `version`: the caller's own bytes when the
 * request still is what they say and names that very version (nothing to encode or copy), else
 * inferRequestToProto.
 */
export function inferRequestForTriton(
  request: InferRequest,
  version: string,
): ModelInferRequest | EncodedMessage {
  const { encoded } = request;
  if (stillEncoded(request, encoded) && encoded.of.version === version) {
    return new EncodedMessage(ModelInferRequestSchema.typeName, encoded.bytes);
  }
  return inferRequestToProto({ ...request, version });
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
    rawInputContents: request.inputs.map(rawBytesOf),
  });
}
