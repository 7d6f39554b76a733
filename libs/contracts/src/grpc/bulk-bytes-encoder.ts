import {
  ScalarType,
  toBinary,
  type DescField,
  type DescMessage,
  type MessageShape,
} from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { EncodedMessage } from './encoded-message';

/**
 * Encodes a message to one Buffer, writing its top-level `repeated bytes` fields (KServe's
 * raw_input_contents / raw_output_contents: the tensors) straight into the result.
 *
 * protobuf-es writes into a doubling buffer and slices it at the end: for a 2 MB tensor that is
 * several large allocations and copies per message, and the garbage collection they caused was the
 * largest cost of forwarding tensors through the gateway. Here the message is gathered from its
 * wire parts (bulkBytesParts): one allocation, one copy per tensor.
 *
 * An EncodedMessage of the schema's type is written as it is.
 */
export function bulkBytesEncoder<Desc extends DescMessage>(
  schema: Desc,
): (message: MessageShape<Desc> | EncodedMessage) => Buffer {
  const partsOf = bulkBytesParts(schema);
  return (message) => {
    const parts = partsOf(message);
    if (parts.length === 1) {
      const [only] = parts as [Uint8Array];
      return Buffer.from(only.buffer, only.byteOffset, only.byteLength);
    }
    return Buffer.concat(parts);
  };
}

/**
 * A message as the byte ranges that make up its wire form, in order, for a transport that writes
 * them without gathering them first: the rest of the message encoded as usual, then each top-level
 * `repeated bytes` entry's tag and length followed by its bytes where they already are. Protobuf
 * lets fields appear in any order on the wire, so every parser reads the same message.
 *
 * An EncodedMessage of the schema's type is its bytes.
 */
export function bulkBytesParts<Desc extends DescMessage>(
  schema: Desc,
): (message: MessageShape<Desc> | EncodedMessage) => Uint8Array[] {
  const encode = bulkFieldsParts(schema);
  return (message) => {
    if (!(message instanceof EncodedMessage)) return encode(message);
    if (message.typeName !== schema.typeName) {
      throw new TypeError(`a ${message.typeName} cannot be sent as a ${schema.typeName}`);
    }
    return [message.bytes];
  };
}

function bulkFieldsParts<Desc extends DescMessage>(
  schema: Desc,
): (message: MessageShape<Desc>) => Uint8Array[] {
  const bulkFields = schema.fields.filter(
    (field: DescField) =>
      field.fieldKind === 'list' &&
      field.listKind === 'scalar' &&
      field.scalar === ScalarType.BYTES,
  );
  if (bulkFields.length === 0) return (message) => [toBinary(schema, message)];
  const emptied = Object.fromEntries(bulkFields.map((field) => [field.localName, []]));
  return (message) => {
    const parts: Uint8Array[] = [toBinary(schema, { ...message, ...emptied })];
    for (const field of bulkFields) {
      for (const bytes of (message as Record<string, unknown>)[field.localName] as Uint8Array[]) {
        // Each entry: its tag and length (written by protobuf-es), then its bytes.
        parts.push(
          new BinaryWriter()
            .tag(field.number, WireType.LengthDelimited)
            .uint32(bytes.byteLength)
            .finish(),
          bytes,
        );
      }
    }
    return parts;
  };
}
