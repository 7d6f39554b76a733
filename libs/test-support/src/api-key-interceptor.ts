import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';

/**
 * A grpc-js client interceptor adding `x-api-key` to every call's metadata, so callers make calls
 * without a Metadata argument.
 */
export function apiKeyInterceptor(key: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('x-api-key', key);
        next(metadata, listener);
      },
    });
}
