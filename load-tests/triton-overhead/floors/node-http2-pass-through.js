/**
 * The least Node.js itself can do in front of Triton's gRPC port: node:http2 streams piped both
 * ways (DATA chunks forwarded as they arrive, never gathered or copied into messages), headers and
 * trailers passed on. No gRPC library: the floor under any Node.js gateway. Measured by
 * `bench:triton-overhead` next to the gateway and the grpc-js floor.
 *
 * Usage: node node-http2-pass-through.js <listen host:port> <Triton gRPC host:port>
 */
'use strict';
const http2 = require('node:http2');

const [listen, upstream] = process.argv.slice(2);
const [host, port] = listen.split(':');
const WINDOW_BYTES = 64 * 1024 * 1024;
const settings = { initialWindowSize: 4 * 1024 * 1024 };
const { NGHTTP2_INTERNAL_ERROR } = http2.constants;

const withoutPseudoHeaders = (headers) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(':')));

const upstreamSession = http2.connect(`http://${upstream}`, { settings });
upstreamSession.on('connect', () => upstreamSession.setLocalWindowSize(WINDOW_BYTES));
upstreamSession.on('error', (error) => console.error(`upstream: ${error.message}`));

const server = http2.createServer({ settings });
server.on('session', (session) => session.setLocalWindowSize(WINDOW_BYTES));
server.on('stream', (downstream, headers) => {
  const call = upstreamSession.request(
    { ':method': 'POST', ':path': headers[':path'], ...withoutPseudoHeaders(headers) },
    { waitForTrailers: true },
  );
  downstream.pipe(call);
  call.on('wantTrailers', () => call.sendTrailers({}));
  let trailers = {};
  call.on('response', (response) => {
    downstream.respond(
      { ':status': 200, ...withoutPseudoHeaders(response) },
      { waitForTrailers: true },
    );
    call.pipe(downstream);
  });
  call.on('trailers', (received) => {
    trailers = withoutPseudoHeaders(received);
  });
  downstream.on('wantTrailers', () => downstream.sendTrailers(trailers));
  call.on('error', () => downstream.close(NGHTTP2_INTERNAL_ERROR));
  downstream.on('error', () => call.close(NGHTTP2_INTERNAL_ERROR));
});
server.listen(Number(port), host);
process.on('disconnect', () => process.exit(0));
