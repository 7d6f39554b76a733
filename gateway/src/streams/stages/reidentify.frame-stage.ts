import sharp from 'sharp';
import type { TrackObservation } from '@vision-reid';
import type { AppearanceEmbedder } from '../appearance-embedder';
import type { FrameObject, FrameStage, FrameWork } from '../frame-work';
import type { StreamMetrics } from '../stream-metrics';
import type { TenantReidentification } from '../tenant-reidentification';

/** A track's appearance is refreshed this often (people turn, light changes). */
const REFRESH_MS = 1000;
/** Crops embedded per frame at most; the rest wait for the next frame (new tracks first). */
const MAX_CROPS = 16;
/** Boxes smaller than this (px) carry too little appearance to embed. */
const MIN_WIDTH = 8;
const MIN_HEIGHT = 16;

/**
 * Global ids across the tenant's cameras: tracks that are new or due a refresh are cropped from
 * the decoded frame, embedded by the appearance model in one batch (a companion call), and
 * associated with the tenant's identities by appearance within the transit window. A track keeps
 * its global id between refreshes. If the embedder fails (overload, not served), the frame is
 * still answered: tracks keep the ids they had, counted in gateway_stream_reid_failures_total.
 */
export class ReidentifyStage implements FrameStage {
  readonly name = 'reidentify';

  constructor(
    private readonly embedder: AppearanceEmbedder,
    private readonly identities: TenantReidentification,
    private readonly metrics: StreamMetrics,
  ) {}

  async run(work: FrameWork): Promise<void> {
    const { camera, frame, call } = work;
    if (!work.config.reidentify) return;
    const associator = this.identities.of(call.caller.tenant);
    for (const trackId of camera.takeEnded()) associator.endTrack(camera.cameraId, trackId);
    if (!this.embedder.available) return;
    const due = dueForEmbedding(work);
    if (due.length === 0) return;
    try {
      const { data, info } = await sharp(frame.image)
        .rotate()
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const embeddings = await this.embedder.embed(
        call,
        { pixels, width: info.width, height: info.height },
        due.map((object) => object.box),
        { deadline: frame.deadline, signal: work.signal },
      );
      const observations: TrackObservation[] = due.map((object, index) => ({
        cameraId: camera.cameraId,
        trackId: object.trackId,
        embedding: embeddings[index],
        timestampMs: frame.captureTimeMs,
        box: object.box,
      }));
      associator.update(observations).forEach((assignment, index) => {
        camera.setGlobalId(due[index].trackId, assignment.globalId, frame.captureTimeMs);
        due[index].globalId = assignment.globalId;
      });
    } catch {
      work.signal.throwIfAborted();
      this.metrics.reidFailures.inc();
    }
  }
}

function dueForEmbedding(work: FrameWork): FrameObject[] {
  const { camera, frame } = work;
  const candidates = work.objects.filter((object) => {
    const [x1, y1, x2, y2] = object.box;
    if (x2 - x1 < MIN_WIDTH || y2 - y1 < MIN_HEIGHT) return false;
    return frame.captureTimeMs - camera.embeddedAt(object.trackId) >= REFRESH_MS;
  });
  // Never-embedded tracks first, then the longest since their refresh.
  candidates.sort((a, b) => camera.embeddedAt(a.trackId) - camera.embeddedAt(b.trackId));
  return candidates.slice(0, MAX_CROPS);
}
