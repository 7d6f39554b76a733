import type { Http2Server, Http2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';

/**
 * Raises the HTTP/2 flow-control windows of every connection the gRPC server accepts.
 *
 * With HTTP/2's default 64 KiB window a client sending a 2 MB tensor stalls ~30 times for a
 * WINDOW_UPDATE, each one a trip through both event loops; on loopback that alone added several
 * milliseconds per request. grpc-js offers the option for its client (`grpc-node.flow_control_window`)
 * but not for its server, so the server's own http2 servers are reached here after `bindAsync`.
 * If a future grpc-js stores them differently, the server keeps working with the default window and
 * this says so once.
 */
export function raiseFlowControlWindow(server: Server, windowBytes: number): void {
  const http2Servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(http2Servers instanceof Map)) {
    new Logger('GrpcServer').warn(
      'grpc-js internals changed: gRPC connections keep the default 64 KiB flow-control window',
    );
    return;
  }
  for (const http2Server of http2Servers.keys() as IterableIterator<Http2Server>) {
    http2Server.on('session', (session: Http2Session) => {
      session.settings({ initialWindowSize: windowBytes });
      session.setLocalWindowSize(windowBytes);
    });
  }
}
