/**
 * Lets the caller stop grpc-js reading a stream's messages: while closed, the stream's requests for
 * more are held back (grpc-js keeps its http2 stream paused, so the client's bytes wait in the
 * flow-control window) and passed on once it opens. Pausing the stream is not enough: a paused
 * object-mode Readable still reads ahead up to its high-water mark (16 messages).
 */
export function gateReads(call: { _read(size: number): void }): (open: boolean) => void {
  const read = call._read.bind(call);
  let open = true;
  let asked = false;
  call._read = (size: number) => {
    if (open) read(size);
    else asked = true;
  };
  return (nowOpen) => {
    open = nowOpen;
    if (open && asked) {
      asked = false;
      read(1);
    }
  };
}
