/**
 * Hostile inputs from issue 10's findings, built once and shared by the regression specs and the
 * soak: each reproduces a class of amplification (compression × element count, zero-length
 * elements, repeated names), small on the wire and huge if paid for element by element.
 */
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
