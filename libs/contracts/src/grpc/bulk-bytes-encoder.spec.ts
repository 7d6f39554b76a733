import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  ServerLiveRequestSchema,
} from '../generated/inference/grpc_service_pb';
import { bulkBytesEncoder } from './bulk-bytes-encoder';
import { EncodedMessage } from './encoded-message';

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe('bulkBytesEncoder', () => {
  it('writes a message protobuf-es decodes to the same value, tensors included', () => {
    const message = create(ModelInferRequestSchema, {
      modelName: 'nanodet',
      modelVersion: '1',
      id: 'req-7',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [1n, 3n] },
        { name: 'b', datatype: 'UINT8', shape: [200_000n] },
        { name: 'c', datatype: 'UINT8', shape: [0n] },
      ],
      outputs: [{ name: 'out' }],
      // Lengths around the varint boundaries (127/128, 16383/16384) and an empty entry.
      rawInputContents: [
        bytes(127, 1),
        bytes(128, 2),
        bytes(16_384, 3),
        bytes(200_000, 4),
        bytes(0, 5),
      ],
    });
    const encoded = bulkBytesEncoder(ModelInferRequestSchema)(message);
    expect(Buffer.isBuffer(encoded)).toBe(true);
    const decoded = fromBinary(ModelInferRequestSchema, encoded);
    expect(decoded).toEqual(
      fromBinary(ModelInferRequestSchema, toBinary(ModelInferRequestSchema, message)),
    );
    expect(decoded.rawInputContents.map((entry) => entry.byteLength)).toEqual([
      127, 128, 16_384, 200_000, 0,
    ]);
    expect(Buffer.from(decoded.rawInputContents[3]).equals(Buffer.from(bytes(200_000, 4)))).toBe(
      true,
    );
    // The same size as protobuf-es's own encoding: only the field order differs.
    expect(encoded.byteLength).toBe(toBinary(ModelInferRequestSchema, message).byteLength);
  });

  it('leaves the message it was given untouched', () => {
    const message = create(ModelInferResponseSchema, { rawOutputContents: [bytes(10, 9)] });
    bulkBytesEncoder(ModelInferResponseSchema)(message);
    expect(message.rawOutputContents).toHaveLength(1);
  });

  it('encodes messages without bytes lists as protobuf-es does', () => {
    const message = create(ServerLiveRequestSchema, {});
    expect(bulkBytesEncoder(ServerLiveRequestSchema)(message).byteLength).toBe(0);
  });

  it('writes an EncodedMessage of its type as it is, sharing its memory', () => {
    const wire = toBinary(
      ModelInferResponseSchema,
      create(ModelInferResponseSchema, { modelName: 'm', rawOutputContents: [bytes(4096, 9)] }),
    );
    const written = bulkBytesEncoder(ModelInferResponseSchema)(
      new EncodedMessage(ModelInferResponseSchema.typeName, wire),
    );
    expect(Buffer.isBuffer(written)).toBe(true);
    expect(written.buffer).toBe(wire.buffer);
    expect(written.equals(wire)).toBe(true);
  });

  it('refuses an EncodedMessage of another type', () => {
    const encode = bulkBytesEncoder(ModelInferRequestSchema);
    expect(() =>
      encode(new EncodedMessage(ModelInferResponseSchema.typeName, new Uint8Array(3))),
    ).toThrow('a inference.ModelInferResponse cannot be sent as a inference.ModelInferRequest');
  });
});
