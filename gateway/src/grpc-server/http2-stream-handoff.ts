import type { Http2Server, ServerHttp2Stream } from 'node:http2';

/**
 * Hands each call's http2 stream to the interceptors grpc-js creates for it, which get only grpc-js's
 * own call object but need the stream to watch its bytes arrive and to reset it. grpc-js creates a
 * call's interceptors synchronously while it handles the http2 server's 'stream' event, so the stream
 * is offered just before its handler runs and withdrawn just after.
 */
export class Http2StreamHandoff {
  private arriving?: ServerHttp2Stream;

  attach(http2Server: Http2Server): void {
    http2Server.prependListener('stream', (stream: ServerHttp2Stream) => {
      this.arriving = stream;
    });
    http2Server.on('stream', () => {
      this.arriving = undefined;
    });
  }

  /** The stream of the call being created (once), or undefined outside that moment. */
  take(): ServerHttp2Stream | undefined {
    const stream = this.arriving;
    this.arriving = undefined;
    return stream;
  }
}
