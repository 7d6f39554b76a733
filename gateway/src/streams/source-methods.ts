import { create } from '@bufbuild/protobuf';
import type { ServerWritableStream } from '@grpc/grpc-js';
import {
  ListSourcesResponseSchema,
  type FrameResult,
  type StreamService,
  type WatchSourceRequest,
} from '@contracts/generated/vision/v1/streams_pb';
import type { ImplementationOf, MalformedMessage } from '@contracts/grpc/service-definition';
import { grpcCaller } from '../auth/grpc/grpc-caller';
import { decoded, toServiceError } from '../grpc-server/grpc-errors';
import { unaryHandler } from '../grpc-server/grpc-handlers';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { ServedSources } from './served-sources';
import type { StreamMetrics } from './stream-metrics';
import type { TenantStreamSlots } from './tenant-stream-slots';

type SourceMethods = Omit<ImplementationOf<typeof StreamService>, 'streamTrack'>;

export interface SourceMethodDeps {
  sources: ServedSources;
  /** Shared with StreamTrack: a watch is one of the tenant's open streams. */
  slots: TenantStreamSlots;
  metrics: StreamMetrics;
  gatewayMetrics: GatewayMetrics;
}

const route = (method: string): string => `vision.v1.StreamService/${method}`;

/** AddSource, RemoveSource, ListSources and WatchSource (admin-only: grpc-method-access.ts). */
export function sourceMethods(deps: SourceMethodDeps): SourceMethods {
  const { sources, gatewayMetrics } = deps;
  return {
    addSource: unaryHandler(gatewayMetrics, route('AddSource'), (request, call) =>
      sources.add(request, grpcCaller(call)),
    ),
    removeSource: unaryHandler(gatewayMetrics, route('RemoveSource'), (request) =>
      sources.remove(request.id),
    ),
    listSources: unaryHandler(gatewayMetrics, route('ListSources'), () =>
      create(ListSourcesResponseSchema, { sources: sources.list() }),
    ),
    watchSource: (call) => watchSource(call, deps),
  };
}

/**
 * One watch: the source's results from now on, through the watcher's bounded queue, until the
 * client cancels (the watcher goes) or the source ends or is removed (the call ends OK).
 */
function watchSource(
  call: ServerWritableStream<WatchSourceRequest | MalformedMessage, FrameResult>,
  deps: SourceMethodDeps,
): void {
  let release: () => void;
  let source;
  try {
    const request = decoded(call.request);
    const caller = grpcCaller(call);
    source = deps.sources.get(request.id);
    release = deps.slots.acquire(caller.tenant);
  } catch (error) {
    call.emit('error', toServiceError(error));
    return;
  }
  deps.metrics.openStreams.inc({ kind: 'watch' });
  let open = true;
  const over = (): void => {
    if (!open) return;
    open = false;
    release();
    deps.metrics.openStreams.dec({ kind: 'watch' });
  };
  const watcher = source.watch(call, over);
  const gone = (): void => source.unwatch(watcher);
  call.on('cancelled', gone);
  call.on('error', gone);
}
