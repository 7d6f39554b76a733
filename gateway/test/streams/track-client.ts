import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import {
  FrameSchema,
  StreamService,
  type Frame,
  type FrameResult,
  type StreamConfigSchema,
  type StreamConfig,
} from '@contracts/generated/vision/v1/streams_pb';
import { grpcClient } from '../test-gateway';

export interface TrackSession {
  stream: ClientDuplexStream<Frame, FrameResult>;
  results: FrameResult[];
  /** Resolves with the stream's status: null when it ended OK. */
  closed: Promise<ServiceError | null>;
  send(frame: MessageInitShape<typeof FrameSchema>): boolean;
  close(): void;
}

/** Opens vision.v1.StreamService/StreamTrack as `apiKey` and collects its results. */
export function openTrackStream(
  address: string,
  { apiKey }: { apiKey?: string | null } = {},
): TrackSession {
  const client = grpcClient(StreamService, address, { apiKey });
  const stream = (client.streamTrack as () => ClientDuplexStream<Frame, FrameResult>).call(client);
  const results: FrameResult[] = [];
  stream.on('data', (result: FrameResult) => results.push(result));
  const closed = new Promise<ServiceError | null>((resolve) => {
    stream.on('error', (error: ServiceError) => resolve(error));
    stream.on('end', () => resolve(null));
  });
  void closed.finally(() => client.close());
  return {
    stream,
    results,
    closed,
    send: (frame) => stream.write(create(FrameSchema, frame)),
    close: () => stream.end(),
  };
}

/** The first frame's config with the test defaults (nanodet, people). */
export function streamConfig(
  overrides: Partial<Omit<StreamConfig, '$typeName' | 'options'>> = {},
): MessageInitShape<typeof StreamConfigSchema> {
  return { model: 'nanodet', options: { classes: ['person'] }, ...overrides };
}
