import { create } from '@bufbuild/protobuf';
import { credentials, makeGenericClientConstructor, type ClientDuplexStream } from '@grpc/grpc-js';
import {
  BackpressurePolicy,
  DropReason,
  FrameSchema,
  StreamService,
  type Frame,
  type FrameResult,
} from '@contracts/generated/vision/v1/streams_pb';
import { clientDefinition } from '@contracts/grpc/service-definition';
import { benchGrpcInterceptor } from '../lib/bench-credentials';

export interface ReplayedStream {
  /** Send → result latency (client clock) of each served frame. */
  latenciesMs: number[];
  served: FrameResult[];
  dropped: Map<string, number>;
  failed: number;
  sent: number;
}

const FRAME_MS = 100;

/**
 * One camera: `frames` replayed through StreamTrack at 10 FPS of wall-clock pacing (LATEST, the
 * real-time policy), for `durationMs`, starting at frame `offset` (so concurrent cameras differ).
 */
export async function replayStream(
  grpcAddress: string,
  cameraId: string,
  frames: readonly Buffer[],
  { offset, durationMs }: { offset: number; durationMs: number },
): Promise<ReplayedStream> {
  const Client = makeGenericClientConstructor(clientDefinition(StreamService), 'StreamService');
  const client = new Client(grpcAddress, credentials.createInsecure(), {
    interceptors: [benchGrpcInterceptor()],
  });
  const stream = (
    client as unknown as { streamTrack(): ClientDuplexStream<Frame, FrameResult> }
  ).streamTrack();
  const sentAt = new Map<bigint, number>();
  const replay: ReplayedStream = {
    latenciesMs: [],
    served: [],
    dropped: new Map(),
    failed: 0,
    sent: 0,
  };
  stream.on('data', (result: FrameResult) => {
    for (const drop of result.dropped) {
      // Lower case, as the gateway's metrics label reasons.
      const reason = DropReason[drop.reason].toLowerCase();
      replay.dropped.set(reason, (replay.dropped.get(reason) ?? 0) + 1);
    }
    if (!result.cameraId) return;
    if (result.error) {
      replay.failed += 1;
      return;
    }
    replay.latenciesMs.push(performance.now() - (sentAt.get(result.seq) ?? Number.NaN));
    replay.served.push(result);
  });
  const closed = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const count = Math.floor(durationMs / FRAME_MS);
  const start = performance.now();
  const epoch = Date.now();
  for (let index = 0; index < count; index += 1) {
    const wait = start + index * FRAME_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const seq = BigInt(index + 1);
    sentAt.set(seq, performance.now());
    stream.write(
      create(FrameSchema, {
        // The default frame deadline and re-identification: only what this benchmark is about is set.
        config:
          index === 0
            ? {
                model: 'nanodet',
                policy: BackpressurePolicy.LATEST,
                options: { classes: ['person'] },
              }
            : undefined,
        cameraId,
        seq,
        captureTimeMs: BigInt(epoch + index * FRAME_MS),
        image: frames[(offset + index) % frames.length],
      }),
    );
    replay.sent += 1;
  }
  stream.end();
  await closed;
  client.close();
  return replay;
}
