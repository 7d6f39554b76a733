import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  ModelInferRequest_InferRequestedOutputTensorSchema,
  type InferParameter,
} from '../generated/inference/grpc_service_pb';

/** One input of a ModelInferRequest, read without its elements. */
export interface InferInputHeader {
  name: string;
  datatype: string;
  shape: bigint[];
  /**
   * Its `InferTensorContents` message, undecoded: views into the request, one per time the field
   * came (protobuf merges them: their elements follow one another). Empty when it has none.
   */
  contents: Uint8Array[];
}

/** One requested output; `parameters` only when it has some (e.g. `classification`). */
export interface RequestedOutputHeader {
  name: string;
  parameters?: Record<string, InferParameter>;
}

/**
 * A ModelInferRequest (KServe v2 `inference.ModelInferRequest`) read down to its tensor headers.
 * The elements (each input's `contents`, `raw_input_contents`) stay undecoded views into the
 * message, for the handler to decode once it has checked the headers against the model; the
 * request's and inputs' `parameters` maps are skipped, the outputs' are read.
 */
export interface ModelInferRequestHeader {
  modelName: string;
  modelVersion: string;
  id: string;
  inputs: InferInputHeader[];
  outputs: RequestedOutputHeader[];
  rawInputContents: Uint8Array[];
  /** The whole message as it came. */
  message: Uint8Array;
  /**
   * The message holds nothing the header leaves out: no parameters (request, inputs or outputs) and
   * no field this reader does not know. Such a message says all it says in this header.
   */
  onlyTensors: boolean;
}

/**
 * Most bytes of a ModelInferRequest outside its tensors' elements (names, datatypes, shapes,
 * parameters, the tag and length of each contents field): a few hundred in practice. Every one of
 * them is read into a JavaScript value, so they are bounded: a message of 33 M two-byte fields
 * would otherwise be 33 M values before anything could be checked.
 */
export const MAX_INFER_HEADER_BYTES = 64 * 1024;

/**
 * Reads a ModelInferRequest's header without decoding a single element, in time bounded by
 * MAX_INFER_HEADER_BYTES whatever the message's size: the walk stops as soon as the header bytes
 * seen pass the limit. Throws on bytes that are not such a message, or over the limit.
 */
export function readModelInferRequestHeader(bytes: Uint8Array): ModelInferRequestHeader {
  const reader = new BinaryReader(bytes);
  const header: ModelInferRequestHeader = {
    modelName: '',
    modelVersion: '',
    id: '',
    inputs: [],
    outputs: [],
    rawInputContents: [],
    message: bytes,
    onlyTensors: true,
  };
  let elementBytes = 0;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field <= 7 && field !== 4) expectLengthDelimited('ModelInferRequest', field, wireType);
    switch (field) {
      case 1:
        header.modelName = reader.string();
        break;
      case 2:
        header.modelVersion = reader.string();
        break;
      case 3:
        header.id = reader.string();
        break;
      case 5: {
        const input = readInput(reader.bytes(), header);
        header.inputs.push(input);
        elementBytes += input.contents.reduce((sum, piece) => sum + piece.byteLength, 0);
        break;
      }
      case 6: {
        const output = readOutput(reader.bytes());
        header.onlyTensors &&= output.parameters === undefined;
        header.outputs.push(output);
        break;
      }
      case 7: {
        const raw = reader.bytes();
        header.rawInputContents.push(raw);
        elementBytes += raw.byteLength;
        break;
      }
      default:
        // `parameters` (4) and fields this version does not know.
        header.onlyTensors = false;
        reader.skip(wireType, field);
    }
    if (reader.pos - elementBytes > MAX_INFER_HEADER_BYTES) {
      throw new RangeError(
        `its tensor headers (names, datatypes, shapes, parameters) are over the ${MAX_INFER_HEADER_BYTES}-byte limit`,
      );
    }
  }
  return header;
}

function readInput(bytes: Uint8Array, message: { onlyTensors: boolean }): InferInputHeader {
  const reader = new BinaryReader(bytes);
  const input: InferInputHeader = { name: '', datatype: '', shape: [], contents: [] };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    switch (field) {
      case 1:
        expectLengthDelimited('InferInputTensor', field, wireType);
        input.name = reader.string();
        break;
      case 2:
        expectLengthDelimited('InferInputTensor', field, wireType);
        input.datatype = reader.string();
        break;
      case 3:
        if (wireType === WireType.LengthDelimited) {
          // Packed, as every proto3 writer sends it.
          const packed = new BinaryReader(reader.bytes());
          while (packed.pos < packed.len) input.shape.push(BigInt(packed.int64()));
        } else if (wireType === WireType.Varint) {
          input.shape.push(BigInt(reader.int64()));
        } else {
          throw new Error(`InferInputTensor field 3 has wire type ${wireType}`);
        }
        break;
      case 5:
        expectLengthDelimited('InferInputTensor', field, wireType);
        input.contents.push(reader.bytes());
        break;
      default:
        // `parameters` (4) and fields this version does not know.
        message.onlyTensors = false;
        reader.skip(wireType, field);
    }
  }
  return input;
}

function readOutput(bytes: Uint8Array): RequestedOutputHeader {
  const reader = new BinaryReader(bytes);
  const output: RequestedOutputHeader = { name: '' };
  let hasParameters = false;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) {
      expectLengthDelimited('InferRequestedOutputTensor', field, wireType);
      output.name = reader.string();
    } else {
      hasParameters ||= field === 2;
      reader.skip(wireType, field);
    }
  }
  // Within the header limit and rarely more than a name: decoded whole for its parameters map.
  if (hasParameters) {
    output.parameters = fromBinary(
      ModelInferRequest_InferRequestedOutputTensorSchema,
      bytes,
    ).parameters;
  }
  return output;
}

function expectLengthDelimited(message: string, field: number, wireType: WireType): void {
  if (wireType !== WireType.LengthDelimited) {
    throw new Error(`${message} field ${field} has wire type ${wireType}, not length-delimited`);
  }
}
