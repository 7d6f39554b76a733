import { constants, type Http2Server, type Http2Session } from 'node:http2';
import { peerAddress, type PeerQuota } from './peer-quota';

export interface SessionBounds {
  /** SETTINGS_INITIAL_WINDOW_SIZE: what each stream may send before the gateway reads it. */
  streamWindowBytes: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS (grpc-js sends it): every one may fill its window at once. */
  maxConcurrentStreams: number;
  /** Open connections per remote address and in all. */
  connections: PeerQuota;
}

/** The largest flow-control window HTTP/2 allows. */
const MAX_WINDOW_BYTES = 2 ** 31 - 1;

/**
 * Bounds every connection `http2Server` accepts: one over the connection quota is refused with a
 * GOAWAY (ENHANCE_YOUR_CALM) naming the limit; the others get the stream window.
 *
 * The window is per stream because that is what a stream nobody reads yet can make the gateway
 * hold: Node's http2 hands the connection window back as bytes arrive, but a stream's only as it is
 * read (grpc-js reads a call's stream once its metadata is accepted, and then one message at a time).
 * The connection window lets every stream of a connection fill its own window at once; it bounds
 * bytes on the wire, not bytes held.
 */
export function boundHttp2Sessions(http2Server: Http2Server, bounds: SessionBounds): void {
  const connectionWindow = Math.min(
    MAX_WINDOW_BYTES,
    bounds.streamWindowBytes * bounds.maxConcurrentStreams,
  );
  http2Server.on('session', (session: Http2Session) => {
    const place = bounds.connections.acquire(peerAddress(session.socket?.remoteAddress));
    if (typeof place === 'string') {
      refuse(session, `too many gRPC connections (${bounds.connections.describe(place)})`);
      return;
    }
    session.once('close', place.release);
    session.settings({ initialWindowSize: bounds.streamWindowBytes });
    session.setLocalWindowSize(connectionWindow);
  });
}

function refuse(session: Http2Session, reason: string): void {
  try {
    session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from(reason));
  } catch {
    // The connection is already going (the client left): nothing to tell it.
  }
  session.destroy();
}
