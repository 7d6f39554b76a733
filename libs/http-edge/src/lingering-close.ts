import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * How long a connection answered before its body arrived stays half-closed for the caller to read
 * the answer: time, not bytes, since what still arrives is left in the kernel's buffers.
 */
export const LINGER_MS = 2000;

/**
 * Closes the connection once `response` (answered before the request's body arrived: a refusal)
 * is out, without losing the answer. Node ends a `connection: close` answer by destroying the socket
 * as soon as the answer is written; with the caller's body bytes still unread, the kernel then
 * resets the connection, and a reset makes the caller's TCP stack drop whatever it had received
 * and not yet handed to the caller: the caller sees ECONNRESET instead of the 503 or 413. Here the
 * socket is half-closed instead (the answer, then end of stream), the rest of the body is not read
 * (the caller's sends stall on a full window: nothing to store or copy), and the socket is destroyed
 * when the caller closes its side or after LINGER_MS.
 */
export function closeAfterAnswer(request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('connection', 'close');
  const socket = request.socket;
  // Node calls destroySoon() on the socket when an answer with `connection: close` is finished.
  socket.destroySoon = () => {
    request.pause();
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('end', () => socket.destroy());
  };
}
