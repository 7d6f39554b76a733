import { status } from '@grpc/grpc-js';
import type { StreamService } from '@contracts/generated/vision/v1/streams_pb';
import type { ImplementationOf } from '@contracts/grpc/service-definition';

type SourceMethods = Omit<ImplementationOf<typeof StreamService>, 'streamTrack'>;

const notYet = { code: status.UNIMPLEMENTED, details: 'server-pulled sources are not enabled' };

/** Placeholder until sources land. */
export function unimplementedSourceMethods(): SourceMethods {
  return {
    addSource: (_call, callback) => callback(notYet),
    removeSource: (_call, callback) => callback(notYet),
    listSources: (_call, callback) => callback(notYet),
    watchSource: (call) => call.emit('error', notYet),
  };
}
