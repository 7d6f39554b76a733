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
 * largest cost of forwarding tensors through the gateway. Here the rest of the message is encoded
 * as usual, then the bytes fields are appended: one allocation, one copy per tensor. Protobuf lets
 * fields appear in any order on the wire, so every parser reads the same message.
 *
 * An EncodedMessage of the schema's type is written as it is.
 */
export function bulkBytesEncoder<Desc extends DescMessage>(
  schema: Desc,
): (message: MessageShape<Desc> | EncodedMessage) => Buffer {
  const encode = bulkFieldsEncoder(schema);
  return (message) => {
    if (!(message instanceof EncodedMessage)) return encode(message);
    if (message.typeName !== schema.typeName) {
      throw new TypeError(`a ${message.typeName} cannot be sent as a ${schema.typeName}`);
    }
    const { bytes } = message;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function bulkFieldsEncoder<Desc extends DescMessage>(
  schema: Desc,
): (message: MessageShape<Desc>) => Buffer {
  const bulkFields = schema.fields.filter(
    (field: DescField) =>
      field.fieldKind === 'list' &&
      field.listKind === 'scalar' &&
      field.scalar === ScalarType.BYTES,
  );
  if (bulkFields.length === 0) {
    return (message) => {
      const bytes = toBinary(schema, message);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    };
  }
  const emptied = Object.fromEntries(bulkFields.map((field) => [field.localName, []]));
  return (message) => {
    const head = toBinary(schema, { ...message, ...emptied });
    // Each entry: its tag and length (written by protobuf-es), then its bytes.
    const entries = bulkFields.flatMap((field) =>
      ((message as Record<string, unknown>)[field.localName] as Uint8Array[]).map((bytes) => ({
        prefix: new BinaryWriter()
          .tag(field.number, WireType.LengthDelimited)
          .uint32(bytes.byteLength)
          .finish(),
        bytes,
      })),
    );
    const total = entries.reduce(
      (sum, entry) => sum + entry.prefix.byteLength + entry.bytes.byteLength,
      head.byteLength,
    );
    const out = Buffer.allocUnsafe(total);
    out.set(head, 0);
    let offset = head.byteLength;
    for (const { prefix, bytes } of entries) {
      out.set(prefix, offset);
      out.set(bytes, offset + prefix.byteLength);
      offset += prefix.byteLength + bytes.byteLength;
    }
    return out;
  };
}
