import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { closeAfterAnswer } from './lingering-close';

const MIB = 1024 * 1024;

/** A server that refuses every upload at once, without reading its body. */
async function refusingServer(
  close: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<Server> {
  const server = createServer((request, response) => {
    close(request, response);
    response.writeHead(503, { 'content-type': 'text/plain', 'content-length': 7 }).end('refused');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/**
 * A caller uploading 64 MiB that reads nothing for `busyMs` (its event loop busy elsewhere), then
 * reads what came back. Resolves with every byte it received.
 */
function uploadWhileBusy(server: Server, busyMs: number): Promise<string> {
  const { port } = server.address() as AddressInfo;
  const socket = connect(port, '127.0.0.1');
  return new Promise((resolve) => {
    let received = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const busy = setTimeout(() => socket.resume(), busyMs);
    socket.on('close', () => {
      clearTimeout(busy);
      resolve(received);
    });
    socket.pause();
    socket.write(`POST /upload HTTP/1.1\r\nhost: test\r\ncontent-length: ${64 * MIB}\r\n\r\n`);
    const chunk = Buffer.alloc(MIB);
    const send = (left: number): void => {
      if (left === 0 || socket.destroyed) return;
      if (socket.write(chunk)) setImmediate(() => send(left - 1));
      else socket.once('drain', () => send(left - 1));
    };
    send(64);
  });
}

describe('closeAfterAnswer', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  it('lets a caller still sending its body read the refusal', async () => {
    const server = await refusingServer(closeAfterAnswer);
    servers.push(server);
    const received = await uploadWhileBusy(server, 300);
    expect(received).toMatch(/^HTTP\/1\.1 503 /);
    expect(received).toMatch(/connection: close/i);
    expect(received).toMatch(/refused$/);
  });

  // Why it exists: Node's own close resets the connection with the body unread, and the caller's
  // next write fails before it read the answer.
  it('is needed: with only `connection: close` the same caller loses the answer', async () => {
    const server = await refusingServer((_request, response) =>
      response.setHeader('connection', 'close'),
    );
    servers.push(server);
    expect(await uploadWhileBusy(server, 300)).toBe('');
  });

  it('closes the connection after the linger time when the caller never closes', async () => {
    const server = await refusingServer(closeAfterAnswer);
    servers.push(server);
    const started = performance.now();
    // Never reads, never closes: the server's timer ends it.
    const received = await uploadWhileBusy(server, 60_000);
    expect(received).toBe('');
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
