/**
 * Hostile inputs from issue 10's findings, built once and shared by the regression specs and the
 * soak: each reproduces a class of amplification (compression × element count, zero-length
 * elements, repeated names), small on the wire and huge if paid for element by element. gRPC
 * messages are written as wire bytes: a protobuf-es message of 33 M elements would cost the test
 * process what it is meant to cost the gateway.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

const LEN = WireType.LengthDelimited;
/** The body: a JSON BYTES tensor of `count` empty strings (≈3 bytes each, ≈60 MiB). */
export function jsonBytesBomb(count: number): Buffer {
  const head = `{"inputs":[{"name":"images","shape":[${count}],"datatype":"BYTES","data":[`;
  const body = Buffer.alloc(head.length + count * 3 - 1 + 4);
  body.write(head);
  let offset = head.length;
  for (let index = 0; index < count; index += 1) {
    body.write(index === 0 ? '""' : ',""', offset, 'latin1');
    offset += index === 0 ? 2 : 3;
  }
  body.write(']}]}', offset);
  return body;
}

/** The binary-extension twin: a BYTES tensor of `count` zero-length elements (4 zero bytes each). */
export function binaryBytesBomb(count: number): { body: Buffer; headerLength: number } {
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'images',
          datatype: 'BYTES',
          shape: [count],
          parameters: { binary_data_size: count * 4 },
        },
      ],
    }),
  );
  return {
    body: Buffer.concat([header, Buffer.alloc(count * 4)]),
    headerLength: header.byteLength,
  };
}

/** What a KServe tensor request holds, for bodies and messages of any size and form. */
export interface TensorRequestSpec {
  model?: string;
  /** The input's name (the model's is `images`) and how many times the request names it. */
  inputName?: string;
  inputRepeats?: number;
  datatype: 'BYTES' | 'FP32' | 'INT64' | 'BOOL';
  /** Elements the shape declares and the data holds: zero-length strings, zeros or `false`. */
  count: number;
  /** An output name (the model's are `cls_s8`, ...) requested this many times. */
  output?: string;
  outputRepeats?: number;
}

const WIDTH = { BYTES: 4, FP32: 4, INT64: 8, BOOL: 1 } as const;
const JSON_ELEMENT = { BYTES: '""', FP32: '0', INT64: '0', BOOL: 'false' } as const;

function outputList(spec: TensorRequestSpec): string[] {
  return Array.from({ length: spec.outputRepeats ?? 0 }, () => spec.output ?? 'cls_s8');
}

/** A KServe REST body: JSON `data`, or the binary extension (BYTES elements of zero length). */
export function kserveTensorBody(
  spec: TensorRequestSpec,
  form: 'json' | 'binary',
): { body: Buffer; headers: Record<string, string> } {
  const name = spec.inputName ?? 'images';
  const repeats = spec.inputRepeats ?? 1;
  const outputs = outputList(spec).map((output) => ({ name: output }));
  if (form === 'binary') {
    const size = spec.count * WIDTH[spec.datatype];
    const input = {
      name,
      datatype: spec.datatype,
      shape: [spec.count],
      parameters: { binary_data_size: size },
    };
    const header = Buffer.from(
      JSON.stringify({ inputs: Array.from({ length: repeats }, () => input), outputs }),
    );
    return {
      body: Buffer.concat([header, Buffer.alloc(size * repeats)]),
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(header.byteLength),
      },
    };
  }
  const element = JSON_ELEMENT[spec.datatype];
  const data = spec.count === 0 ? '' : `${element},`.repeat(spec.count - 1) + element;
  const input = `{"name":${JSON.stringify(name)},"shape":[${spec.count}],"datatype":"${spec.datatype}","data":[${data}]}`;
  const body = `{"inputs":[${Array.from({ length: repeats }, () => input).join(',')}],"outputs":${JSON.stringify(outputs)}}`;
  return { body: Buffer.from(body), headers: { 'content-type': 'application/json' } };
}

/** A ModelInferRequest's tensor header: name, datatype, a one-dimensional shape. */
function tensorHead(name: string, datatype: string, count: number): BinaryWriter {
  return new BinaryWriter()
    .tag(1, LEN)
    .string(name)
    .tag(2, LEN)
    .string(datatype)
    .tag(3, LEN)
    .fork()
    .int64(count)
    .join();
}

/** One input's typed `contents` as wire bytes: empty `bytes_contents` (2 bytes each) or packed zeros. */
function contentsBytes(datatype: TensorRequestSpec['datatype'], count: number): Buffer {
  if (datatype === 'BYTES') {
    const contents = Buffer.alloc(count * 2);
    for (let offset = 0; offset < contents.byteLength; offset += 2)
      contents[offset] = (8 << 3) | LEN;
    return contents;
  }
  // bool_contents (1), int64_contents (3), fp32_contents (6): one packed field of zeros.
  const field = { BOOL: 1, INT64: 3, FP32: 6 }[datatype];
  const packed = datatype === 'FP32' ? Buffer.alloc(count * 4) : Buffer.alloc(count); // varint 0: 1 byte
  const head = new BinaryWriter().tag(field, LEN).uint32(packed.byteLength).finish();
  return Buffer.concat([head, packed]);
}

/** A ModelInferRequest as wire bytes, its data as typed `contents` or in `raw_input_contents`. */
export function grpcTensorMessage(spec: TensorRequestSpec, form: 'contents' | 'raw'): Buffer {
  const name = spec.inputName ?? 'images';
  const parts: Uint8Array[] = [
    new BinaryWriter()
      .tag(1, LEN)
      .string(spec.model ?? 'nanodet')
      .finish(),
  ];
  for (let repeat = 0; repeat < (spec.inputRepeats ?? 1); repeat += 1) {
    if (form === 'raw') {
      parts.push(
        new BinaryWriter()
          .tag(5, LEN)
          .bytes(tensorHead(name, spec.datatype, spec.count).finish())
          .finish(),
      );
      continue;
    }
    const contents = contentsBytes(spec.datatype, spec.count);
    const head = tensorHead(name, spec.datatype, spec.count)
      .tag(5, LEN)
      .uint32(contents.byteLength)
      .finish();
    parts.push(
      new BinaryWriter()
        .tag(5, LEN)
        .uint32(head.byteLength + contents.byteLength)
        .finish(),
      head,
      contents,
    );
  }
  for (const output of outputList(spec)) {
    parts.push(
      new BinaryWriter()
        .tag(6, LEN)
        .bytes(new BinaryWriter().tag(1, LEN).string(output).finish())
        .finish(),
    );
  }
  if (form === 'raw') {
    for (let repeat = 0; repeat < (spec.inputRepeats ?? 1); repeat += 1) {
      const size = spec.count * WIDTH[spec.datatype];
      parts.push(new BinaryWriter().tag(7, LEN).uint32(size).finish(), Buffer.alloc(size));
    }
  }
  return Buffer.concat(parts);
}

/** The gRPC bomb: a BYTES input of `count` empty `bytes_contents` elements. */
export function bytesContentsBomb(count: number, model = 'nanodet'): Buffer {
  return grpcTensorMessage({ model, datatype: 'BYTES', count }, 'contents');
}

/** Its raw twin: a BYTES input of `count` zero-length elements in raw_input_contents. */
export function rawBytesBomb(count: number, model = 'nanodet'): Buffer {
  return grpcTensorMessage({ model, datatype: 'BYTES', count }, 'raw');
}
