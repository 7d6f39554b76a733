import type { Http2Server } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

/**
 * The http2 servers a grpc-js Server listens with, once bound. grpc-js keeps them private and offers
 * no option for what the gateway bounds on them (flow-control windows, connections per peer, the
 * stream of each call), so they are reached here. A grpc-js that stores them differently stops
 * start-up: serving without those bounds would be quietly unsafe.
 */
export function http2ServersOf(server: Server): Http2Server[] {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) {
    throw new Error(
      'grpc-js internals changed: its http2 servers cannot be reached, so gRPC connection limits ' +
        'and flow-control windows cannot be applied (see gateway/src/grpc-server/http2-servers.ts)',
    );
  }
  return [...(servers.keys() as IterableIterator<Http2Server>)];
}
