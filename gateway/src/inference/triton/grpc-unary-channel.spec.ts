import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createServer as createHttp2Server,
  constants,
  type Http2Server,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import {
  Metadata,
  Server,
  ServerCredentials,
  status,
  type ServerUnaryCall,
  type sendUnaryData,
  type ServiceError,
} from '@grpc/grpc-js';
import { sleep, until } from '@test-support';
import { EncodedMessage, grpcFrameOf } from '@contracts/grpc/encoded-message';
import { GrpcUnaryChannel } from './grpc-unary-channel';

const PATH = '/test.Bytes/Unary';
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

type Handler = (call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) => void;

/** A real grpc-js server with one unary method over raw bytes; each test sets what it answers. */
async function startServer(
  port = 0,
): Promise<{ server: Server; port: number; handle: (h: Handler) => void }> {
  let handler: Handler = (call, done) => done(null, call.request);
  const server = new Server({
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
  });
  server.addService(
    {
      unary: {
        path: PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: (bytes: Buffer) => bytes,
        requestDeserialize: (bytes: Buffer) => bytes,
        responseSerialize: (bytes: Buffer) => bytes,
        responseDeserialize: (bytes: Buffer) => bytes,
      },
    },
    {
      unary: (call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) =>
        handler(call, done),
    },
  );
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, at) =>
      error ? reject(error) : resolve(at),
    ),
  );
  return { server, port: bound, handle: (next) => (handler = next) };
}

const inSeconds = (s: number) => Date.now() + s * 1000;

/** A bare node:http2 server answering each stream as `onStream` says, and a channel to it. */
async function withRawServer(
  onStream: (stream: ServerHttp2Stream) => void,
  use: (channel: GrpcUnaryChannel, server: Http2Server) => Promise<void>,
): Promise<void> {
  const server = createHttp2Server();
  server.on('stream', onStream);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const channel = new GrpcUnaryChannel(`127.0.0.1:${(server.address() as AddressInfo).port}`, {
    maxMessageBytes: 1024,
  });
  try {
    await use(channel, server);
  } finally {
    channel.close();
    server.close();
  }
}

/**
 * A server in its own process (so that it can be frozen) that grants large flow-control windows
 * and answers each call with the number of bytes its stream carried; prints its port.
 */
const LENGTH_ECHO_SERVER = `
const http2 = require('node:http2');
const server = http2.createServer({ settings: { initialWindowSize: 2 ** 31 - 1 } });
server.on('session', (session) => session.on('connect', () => session.setLocalWindowSize(2 ** 31 - 1)));
server.on('stream', (stream) => {
  let received = 0;
  stream.on('data', (chunk) => (received += chunk.length));
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    const answer = Buffer.alloc(9);
    answer.writeUInt32BE(4, 1);
    answer.writeUInt32BE(received, 5);
    stream.end(answer);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port)));
`;

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('the call succeeded');
}

describe('GrpcUnaryChannel against a grpc-js server', () => {
  let running: Awaited<ReturnType<typeof startServer>>;
  let channel: GrpcUnaryChannel;

  beforeAll(async () => {
    running = await startServer();
    channel = new GrpcUnaryChannel(`127.0.0.1:${running.port}`, {
      maxMessageBytes: MAX_MESSAGE_BYTES,
    });
  });
  afterAll(() => {
    channel.close();
    running.server.forceShutdown();
  });

  it('sends the parts as one message and answers the message, across many DATA frames', async () => {
    const parts = [randomBytes(7), new Uint8Array(0), randomBytes(3 * 1024 * 1024 + 11)];
    running.handle((call, done) => done(null, Buffer.concat([call.request, Buffer.from('!')])));
    const answer = await channel.call(PATH, parts, { deadline: inSeconds(10) });
    expect(answer.equals(Buffer.concat([...parts, Buffer.from('!')]))).toBe(true);
    // Its frame as it arrived, to be sent on without a copy: the prefix, then the same memory.
    const frame = grpcFrameOf(new EncodedMessage('any', answer));
    expect(frame?.readUInt8(0)).toBe(0);
    expect(frame?.readUInt32BE(1)).toBe(answer.length);
    expect(frame?.subarray(5).equals(answer)).toBe(true);
    expect(frame?.buffer).toBe(answer.buffer);
  });

  it('answers an empty message', async () => {
    running.handle((_call, done) => done(null, Buffer.alloc(0)));
    expect((await channel.call(PATH, [Buffer.from('x')], { deadline: inSeconds(10) })).length).toBe(
      0,
    );
  });

  it('sends the deadline as grpc-timeout and the metadata as headers', async () => {
    let seen: { left: number; key: unknown } | undefined;
    running.handle((call, done) => {
      const deadline = call.getDeadline();
      seen = {
        left: (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now(),
        key: call.metadata.get('x-api-key')[0],
      };
      done(null, Buffer.alloc(1));
    });
    await channel.call(PATH, [Buffer.alloc(1)], {
      deadline: inSeconds(3),
      metadata: { 'x-api-key': 'secret' },
    });
    expect(seen?.key).toBe('secret');
    expect(seen?.left).toBeLessThanOrEqual(3000);
    expect(seen?.left).toBeGreaterThan(1000);
  });

  it("reports the server's status, message and trailing metadata as grpc-js would", async () => {
    running.handle((_call, done) => {
      const metadata = new Metadata();
      metadata.set('why', 'shape');
      done({ code: status.INVALID_ARGUMENT, details: 'tensor ünits: 3 % off', metadata });
    });
    const error = await failure(channel.call(PATH, [Buffer.alloc(1)], { deadline: inSeconds(10) }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe('tensor ünits: 3 % off');
    expect(error.message).toBe('3 INVALID_ARGUMENT: tensor ünits: 3 % off');
    expect(error.metadata.get('why')).toEqual(['shape']);
  });

  it('ends a call past its deadline with DEADLINE_EXCEEDED and cancels it on the server', async () => {
    const cancelled = new Promise<void>((resolve) =>
      running.handle((call) => call.on('cancelled', () => resolve())),
    );
    const started = Date.now();
    const error = await failure(
      channel.call(PATH, [Buffer.alloc(1)], { deadline: Date.now() + 300 }),
    );
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(5000);
    await cancelled;
  });

  it('ends an aborted call with CANCELLED and cancels it on the server', async () => {
    const cancelled = new Promise<void>((resolve) =>
      running.handle((call) => call.on('cancelled', () => resolve())),
    );
    const abort = new AbortController();
    const call = channel.call(PATH, [Buffer.alloc(1)], {
      deadline: inSeconds(30),
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 100);
    expect((await failure(call)).code).toBe(status.CANCELLED);
    await cancelled;
    const aborted = AbortSignal.abort();
    const early = channel.call(PATH, [Buffer.alloc(1)], {
      deadline: inSeconds(30),
      signal: aborted,
    });
    expect((await failure(early)).code).toBe(status.CANCELLED);
  });

  it('refuses an answer over the limit from its length prefix, with RESOURCE_EXHAUSTED', async () => {
    const small = new GrpcUnaryChannel(`127.0.0.1:${running.port}`, { maxMessageBytes: 1024 });
    try {
      running.handle((_call, done) => done(null, Buffer.alloc(1025)));
      const error = await failure(small.call(PATH, [Buffer.alloc(1)], { deadline: inSeconds(10) }));
      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(error.details).toContain('1025 bytes');
      running.handle((_call, done) => done(null, Buffer.alloc(1024)));
      expect((await small.call(PATH, [Buffer.alloc(1)], { deadline: inSeconds(10) })).length).toBe(
        1024,
      );
    } finally {
      small.close();
    }
  });

  it('answers an unknown method with the status the server gives (UNIMPLEMENTED)', async () => {
    const error = await failure(
      channel.call('/test.Bytes/Missing', [Buffer.alloc(1)], { deadline: inSeconds(10) }),
    );
    expect(error.code).toBe(status.UNIMPLEMENTED);
  });

  it('runs concurrent calls on one session, each with its own answer', async () => {
    running.handle((call, done) => setTimeout(() => done(null, call.request), Math.random() * 20));
    const bodies = Array.from({ length: 20 }, (_, index) => randomBytes(1000 + index * 5000));
    const answers = await Promise.all(
      bodies.map((body) => channel.call(PATH, [body], { deadline: inSeconds(10) })),
    );
    answers.forEach((answer, index) => expect(answer.equals(bodies[index] as Buffer)).toBe(true));
  });
});

describe('GrpcUnaryChannel connections', () => {
  it('fails with UNAVAILABLE when nothing listens, and connects again once a server does', async () => {
    const running = await startServer();
    const address = `127.0.0.1:${running.port}`;
    const channel = new GrpcUnaryChannel(address, { maxMessageBytes: MAX_MESSAGE_BYTES });
    try {
      expect(
        (await channel.call(PATH, [Buffer.from('a')], { deadline: inSeconds(5) })).toString(),
      ).toBe('a');
      running.server.forceShutdown();
      const error = await failure(
        channel.call(PATH, [Buffer.from('b')], { deadline: inSeconds(5) }),
      );
      expect(error.code).toBe(status.UNAVAILABLE);
      expect(error.details).toContain(address);

      const again = await startServer(running.port);
      try {
        const answer = await channel.call(PATH, [Buffer.from('c')], { deadline: inSeconds(5) });
        expect(answer.toString()).toBe('c');
      } finally {
        again.server.forceShutdown();
      }
    } finally {
      channel.close();
    }
  });

  it('reads an unknown status as UNKNOWN and a malformed grpc-message as it came, without throwing', async () => {
    const answerStatus99 = (stream: ServerHttp2Stream): void => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () =>
        stream.sendTrailers({ 'grpc-status': '99', 'grpc-message': 'bad %E0%A4%A escape' }),
      );
      stream.end();
    };
    await withRawServer(answerStatus99, async (channel) => {
      const error = await failure(
        channel.call(PATH, [Buffer.alloc(1)], { deadline: inSeconds(5) }),
      );
      expect(error.code).toBe(status.UNKNOWN);
      expect(error.details).toBe('bad %E0%A4%A escape');
    });
  });

  it('fails a call whose connection goes away mid-call with UNAVAILABLE, not CANCELLED', async () => {
    // A killed Triton: the socket closes with the call on it.
    await withRawServer(
      (stream) => stream.session?.destroy(),
      async (channel) => {
        const error = await failure(
          channel.call(PATH, [Buffer.alloc(1)], { deadline: inSeconds(5) }),
        );
        expect(error.code).toBe(status.UNAVAILABLE);
      },
    );
  });

  it('keeps many large requests queued on one connection while the server reads none of them', async () => {
    // A frozen Triton: what it has not read waits on the gateway's side of the connection, and is
    // all delivered once it runs again.
    const server = spawn(process.execPath, ['-e', LENGTH_ECHO_SERVER], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const port = Number(
        await new Promise<string>((resolve) =>
          server.stdout.once('data', (data: Buffer) => resolve(data.toString())),
        ),
      );
      const channel = new GrpcUnaryChannel(`127.0.0.1:${port}`, { maxMessageBytes: 1024 });
      try {
        await channel.call(PATH, [Buffer.alloc(1)], { deadline: inSeconds(10) }); // connected
        server.kill('SIGSTOP');
        const tensor = Buffer.alloc(2 * 1024 * 1024);
        const calls = Array.from({ length: 16 }, () =>
          channel.call(PATH, [tensor], { deadline: inSeconds(30) }),
        );
        await sleep(500);
        server.kill('SIGCONT');
        for (const answer of await Promise.all(calls)) {
          expect(answer.readUInt32BE(0)).toBe(5 + tensor.length); // the whole message arrived
        }
      } finally {
        channel.close();
      }
    } finally {
      server.kill('SIGCONT');
      server.kill();
    }
  });

  it('sends a call refused with ENHANCE_YOUR_CALM once more, on a new connection, and uses that one next', async () => {
    // What Triton's gRPC server did on a connection after a freeze, and to single streams under load.
    let sessions = 0;
    let calming = 1; // sessions that refuse every stream
    const calmOrAnswer = (stream: ServerHttp2Stream): void => {
      if (sessions <= calming) {
        stream.on('error', () => {}); // its own reset, reported on this side too
        stream.close(constants.NGHTTP2_ENHANCE_YOUR_CALM);
        return;
      }
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 1, 42]));
    };
    await withRawServer(calmOrAnswer, async (channel, server) => {
      server.on('session', () => (sessions += 1));
      const answer = await channel.call(PATH, [Buffer.alloc(1)], { deadline: inSeconds(5) });
      expect([...answer]).toEqual([42]);
      expect(sessions).toBe(2);
      await channel.call(PATH, [Buffer.alloc(1)], { deadline: inSeconds(5) });
      expect(sessions).toBe(2);
      // Refused again on the new connection: once more only, then the caller hears of it.
      calming = 4;
      channel.close();
      const refused = await failure(
        channel.call(PATH, [Buffer.alloc(1)], { deadline: inSeconds(5) }),
      );
      expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(refused.details).toContain('ENHANCE_YOUR_CALM');
      expect(sessions).toBe(4);
    });
  });

  it('drops a connection that answers nothing, not even a ping, after a call ran past its deadline', async () => {
    // A peer that accepts and then goes silent (a partition, a frozen host): no reset, no close.
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => sockets.push(socket.on('data', () => {})));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const channel = new GrpcUnaryChannel(`127.0.0.1:${port}`, {
      maxMessageBytes: 1024,
      pingTimeoutMs: 200,
    });
    try {
      const late = await failure(
        channel.call(PATH, [Buffer.alloc(1)], { deadline: Date.now() + 200 }),
      );
      expect(late.code).toBe(status.DEADLINE_EXCEEDED);
      await until(
        () => sockets[0]?.destroyed === true || sockets[0]?.readableEnded === true,
        'the silent connection dropped',
        5000,
      );
      await failure(channel.call(PATH, [Buffer.alloc(1)], { deadline: Date.now() + 200 }));
      expect(sockets.length).toBe(2);
    } finally {
      channel.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
