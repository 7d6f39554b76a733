import { toGatewayError, type GatewayError } from '../errors/gateway-error';
import type { CallContext } from '../request-path/call-context';
import type { CarriedImage } from './detect-bodies/detect-images';
import { aboutImage } from './detect-bodies/detect-images';
import type { DetectPipeline } from './detect-pipeline';
import type { DetectRequest, DetectResult } from './detect-types';

/**
 * A detect call carrying several images: one detect call per image through the call pipeline, so
 * each image is admitted, deadlined and batched like a call of its own (the batcher merges them
 * into one backend batch where the model batches). The first image's call carries the whole
 * charge (one request, every image: the rate limit counts images) and is routed once; the others
 * start only after it passed its guards, as companions of it (not charged again) pinned to the
 * version it was routed to, so all images of one call are served by one version.
 *
 * The first image to fail stops the others and its error is the answer, naming the image; a
 * refusal before routing (rate limit, unknown model) is the whole call's and names none.
 */
export async function detectSeveral(
  pipeline: DetectPipeline,
  images: readonly CarriedImage[],
  request: Omit<DetectRequest, 'image'>,
  call: CallContext,
): Promise<DetectResult[]> {
  const stop = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal;
  let routedVersion!: (version: string) => void;
  const routed = new Promise<string>((resolve) => (routedVersion = resolve));
  let failure: { error: GatewayError; image?: string } | undefined;
  const fail = (error: unknown, image?: string): never => {
    failure ??= { error: toGatewayError(error), image };
    stop.abort();
    throw error;
  };
  let wasRouted = false;
  const first = pipeline
    .detect(
      { ...request, image: images[0].bytes, signal },
      { ...call, images: images.length },
      (target) => {
        wasRouted = true;
        routedVersion(target.version);
      },
    )
    .catch((error: unknown) => fail(error, wasRouted ? images[0].label : undefined));
  const rest = images.slice(1).map(async (image) => {
    const version = await Promise.race([routed, first.then(() => routed)]);
    return pipeline
      .detect(
        { ...request, version, image: image.bytes, signal },
        { ...call, images: 1, companion: true },
      )
      .catch((error: unknown) => fail(error, image.label));
  });
  const settled = await Promise.allSettled([first, ...rest]);
  if (failure) throw failure.image ? aboutImage(failure.image, failure.error) : failure.error;
  return settled.map((outcome) => {
    if (outcome.status === 'rejected') throw toGatewayError(outcome.reason);
    return outcome.value;
  });
}
