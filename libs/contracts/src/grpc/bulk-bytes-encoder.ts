import { toBinary, type DescField, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { ScalarType } from '@bufbuild/protobuf';

/**
 * Encodes a message to one Buffer, writing its top-level `repeated bytes` fields (KServe's
 * raw_input_contents / raw_output_contents: the tensors) straight into the result.
 *
 * protobuf-es writes into a doubling buffer and slices it at the end: for a 2 MB tensor that is
 * several large allocations and copies per message, and the garbage collection they caused was the
 * largest cost of forwarding tensors through the gateway. Here the rest of the message is encoded
 * as usual, then the bytes fields are appended: one allocation, one copy per tensor. Protobuf lets
 * fields appear in any order on the wire, so every parser reads the same message.
 */
export function bulkBytesEncoder<Desc extends DescMessage>(
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
  const tags = bulkFields.map((field) => varint((field.number << 3) | 2));
  return (message) => {
    const head = toBinary(schema, { ...message, ...emptied });
    const lists = bulkFields.map(
      (field) => (message as Record<string, unknown>)[field.localName] as Uint8Array[],
    );
    let total = head.byteLength;
    lists.forEach((list, index) => {
      for (const item of list) {
        total += tags[index].length + varintSize(item.byteLength) + item.byteLength;
      }
    });
    const out = Buffer.allocUnsafe(total);
    out.set(head, 0);
    let offset = head.byteLength;
    lists.forEach((list, index) => {
      for (const item of list) {
        out.set(tags[index], offset);
        offset += tags[index].length;
        offset = writeVarint(out, offset, item.byteLength);
        out.set(item, offset);
        offset += item.byteLength;
      }
    });
    return out;
  };
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[offset++] = value;
  return offset;
}

function varint(value: number): Uint8Array {
  const out = new Uint8Array(varintSize(value));
  writeVarint(out, 0, value);
  return out;
}
