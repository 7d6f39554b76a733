import type { ServerDuplexStream } from '@grpc/grpc-js';
import { gateReads } from './stream-read-gate';

export interface StreamAnswerBounds {
  /** Requests read and not yet answered to the client (in progress, waiting their turn, unsent). */
  maxPending: number;
  /** Bytes of answers written and not yet taken by the client (HTTP/2 flow control). */
  maxUnsentBytes: number;
}

export interface StreamAnswering<Req, Res> {
  /** Each request's answer, its failure included: it never rejects. */
  answer(request: Req): Promise<Res>;
  /** About how many bytes an answer takes on the wire. */
  sizeOf(response: Res): number;
  /** Called once, when the stream is done: ended by the client and all answered, or cancelled. */
  onClose(): void;
}

/**
 * Answers every request of a bidi stream in the order they came, working on several at once.
 *
 * An answer counts as sent only when the client took it (the write's callback: HTTP/2 flow control
 * let it leave), not when it was handed to the stream. Reading stops while `maxPending` requests are
 * not yet answered to the client or `maxUnsentBytes` of answers wait for it, and resumes as the
 * client takes them: however slowly the client reads, the stream holds at most that.
 */
export function answerInOrder<Req, Res>(
  call: ServerDuplexStream<Req, Res>,
  bounds: StreamAnswerBounds,
  answering: StreamAnswering<Req, Res>,
): void {
  const setReading = gateReads(call);
  let pending = 0;
  let unsentBytes = 0;
  let ordered: Promise<void> = Promise.resolve();
  let ended = false;
  let closed = false;
  const flow = (): void =>
    setReading(pending < bounds.maxPending && unsentBytes < bounds.maxUnsentBytes);
  const close = (): void => {
    if (closed) return;
    closed = true;
    answering.onClose();
    if (!call.cancelled) call.end();
  };
  const finishIfDone = (): void => {
    if (ended && pending === 0) close();
  };
  call.on('data', (request: Req) => {
    pending += 1;
    flow();
    const answered = answering.answer(request);
    ordered = ordered.then(async () => {
      const response = await answered;
      if (closed || call.cancelled) return;
      const bytes = answering.sizeOf(response);
      unsentBytes += bytes;
      flow();
      call.write(response, () => {
        unsentBytes -= bytes;
        pending -= 1;
        flow();
        finishIfDone();
      });
    });
  });
  call.on('end', () => {
    ended = true;
    finishIfDone();
  });
  call.on('cancelled', close);
}
