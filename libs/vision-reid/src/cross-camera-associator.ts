import { munkres } from 'munkres';
import {
  AppearanceGallery,
  type AppearanceGalleryOptions,
  type Identity,
} from './appearance-gallery';
import type { CameraTopology } from './camera-topology';
import type { PixelBox, TrackRef } from './types';

/** One camera tracker's track in one frame, with the appearance embedding of its crop. */
export interface TrackObservation extends TrackRef {
  embedding: ArrayLike<number>;
  /** Capture time of the frame (ms; one clock for all cameras). */
  timestampMs: number;
  box: PixelBox;
}

/**
 * kept: the track already had this global id; matched: a new track took an existing identity
 * (from another camera, or this one after losing it); created: a new track, a new identity.
 */
export type AssignmentKind = 'kept' | 'matched' | 'created';

export interface GlobalAssignment extends TrackRef {
  globalId: number;
  kind: AssignmentKind;
  /** For `matched`: the (age-discounted) similarity the match was made on. */
  similarity?: number;
  box: PixelBox;
  timestampMs: number;
}

export interface CrossCameraAssociatorOptions {
  topology: CameraTopology;
  gallery: AppearanceGalleryOptions;
  /** Least age-discounted cosine similarity to give a new track an existing identity. */
  threshold: number;
  /**
   * A track not reported for this long (by its camera's clock) is lost and frees its global id on
   * that camera (default 5 s: longer than a tracker keeps a lost track before dropping it).
   */
  trackTimeoutMs?: number;
  /**
   * Where a person is counts from the cameras that saw them within this long before they were last
   * seen (default 1 s): several for overlapping views, and older sightings no longer count (someone
   * who walked on from camera A to camera B cannot reappear on A's same-camera window meanwhile).
   */
  lastSightingsMs?: number;
}

interface LiveTrack {
  globalId: number;
  lastSeenMs: number;
}

/** Cost of a pair the gate forbids: above any cosine distance (at most 2) and any "no match". */
const FORBIDDEN = 4;

/**
 * Gives every camera track a global identity that follows the person across cameras.
 *
 * A track keeps its global id for as long as it lives. New tracks of a camera are assigned
 * together, one optimal assignment (Hungarian, `munkres`) per camera and call, to identities that
 * (1) no live track of that camera holds, (2) a camera that saw them last can hand over to this one
 * in the time since (CameraTopology's transit windows; the same camera after a loss, too), and (3)
 * look alike: the age-discounted cosine similarity is at least `threshold`. The cost matrix is
 * padded with one "new identity" column per track at cost 1 − threshold, so the solver never
 * prefers a worse-than-threshold pair (the padding that imitates lapjv's cost limit). Cameras are
 * taken in id order and tracks in track id order, so the same calls always give the same ids.
 */
export class CrossCameraAssociator {
  readonly gallery: AppearanceGallery;
  private readonly live = new Map<string, Map<number, LiveTrack>>();
  private readonly clocks = new Map<string, number>();
  private readonly trackTimeoutMs: number;
  private readonly lastSightingsMs: number;

  constructor(private readonly options: CrossCameraAssociatorOptions) {
    this.gallery = new AppearanceGallery(options.gallery);
    this.trackTimeoutMs = options.trackTimeoutMs ?? 5000;
    this.lastSightingsMs = options.lastSightingsMs ?? 1000;
    if (!(options.threshold > -1 && options.threshold <= 1)) {
      throw new RangeError('threshold must be a cosine similarity in (-1, 1]');
    }
    if (!(this.trackTimeoutMs > 0)) throw new RangeError('trackTimeoutMs must be > 0');
    if (!(this.lastSightingsMs >= 0)) throw new RangeError('lastSightingsMs must be >= 0');
  }

  /** Assigns global ids to one batch of observations (any cameras); answers in input order. */
  update(observations: readonly TrackObservation[]): GlobalAssignment[] {
    const byCamera = groupByCamera(observations);
    if (observations.length > 0) this.gallery.expire(latest(observations));
    const results = new Map<TrackObservation, GlobalAssignment>();
    for (const cameraId of [...byCamera.keys()].sort()) {
      const batch = byCamera.get(cameraId)!.sort((a, b) => a.trackId - b.trackId);
      for (const assignment of this.updateCamera(cameraId, batch)) {
        results.set(assignment.observation, assignment.result);
      }
    }
    return observations.map((o) => results.get(o)!);
  }

  /** The tracker dropped a track: its global id is free on that camera at once. */
  endTrack(cameraId: string, trackId: number): void {
    this.live.get(cameraId)?.delete(trackId);
  }

  /** The global id a live track holds. */
  globalIdOf(cameraId: string, trackId: number): number | undefined {
    return this.live.get(cameraId)?.get(trackId)?.globalId;
  }

  private updateCamera(
    cameraId: string,
    batch: TrackObservation[],
  ): { observation: TrackObservation; result: GlobalAssignment }[] {
    const clock = Math.max(this.clocks.get(cameraId) ?? -Infinity, latest(batch));
    this.clocks.set(cameraId, clock);
    const tracks = this.live.get(cameraId) ?? new Map<number, LiveTrack>();
    this.live.set(cameraId, tracks);
    for (const [trackId, track] of tracks) {
      if (clock - track.lastSeenMs > this.trackTimeoutMs) tracks.delete(trackId);
    }

    const out: { observation: TrackObservation; result: GlobalAssignment }[] = [];
    const fresh: TrackObservation[] = [];
    for (const o of batch) {
      const track = tracks.get(o.trackId);
      if (!track) {
        fresh.push(o);
        continue;
      }
      track.lastSeenMs = Math.max(track.lastSeenMs, o.timestampMs);
      this.gallery.observe(track.globalId, o.embedding, cameraId, o.timestampMs);
      out.push({ observation: o, result: assignment(o, track.globalId, 'kept') });
    }
    if (fresh.length === 0) return out;

    const held = new Set([...tracks.values()].map((t) => t.globalId));
    const candidates = this.gallery.all().filter((identity) => !held.has(identity.id));
    const matches = this.match(fresh, candidates);
    fresh.forEach((o, row) => {
      const match = matches.get(row);
      let globalId: number;
      if (match) {
        globalId = match.identity.id;
        this.gallery.observe(globalId, o.embedding, cameraId, o.timestampMs);
      } else {
        globalId = this.gallery.create(o.embedding, cameraId, o.timestampMs).id;
      }
      tracks.set(o.trackId, { globalId, lastSeenMs: o.timestampMs });
      const result = assignment(o, globalId, match ? 'matched' : 'created');
      if (match) result.similarity = match.similarity;
      out.push({ observation: o, result });
    });
    return out;
  }

  /** Optimal one-to-one matching of new tracks (rows) to candidate identities (columns). */
  private match(
    fresh: readonly TrackObservation[],
    candidates: readonly Identity[],
  ): Map<number, { identity: Identity; similarity: number }> {
    const matches = new Map<number, { identity: Identity; similarity: number }>();
    if (candidates.length === 0) return matches;
    const noMatch = 1 - this.options.threshold;
    const similarities = fresh.map((o) =>
      candidates.map((identity) =>
        this.passesGate(identity, o)
          ? this.gallery.similarity(identity, o.embedding, o.timestampMs)
          : -Infinity,
      ),
    );
    // Columns: the candidates, then one "new identity" column per track at the threshold's cost.
    const cost = similarities.map((row) => [
      ...row.map((s) => (s >= this.options.threshold ? 1 - s : FORBIDDEN)),
      ...fresh.map(() => noMatch),
    ]);
    for (const [row, column] of munkres(cost)) {
      if (column < candidates.length && cost[row][column] <= noMatch) {
        matches.set(row, { identity: candidates[column], similarity: similarities[row][column] });
      }
    }
    return matches;
  }

  /** A camera that saw the identity last can reach the track's camera in the time between. */
  private passesGate(identity: Identity, o: TrackObservation): boolean {
    for (const [cameraId, seenMs] of identity.sightings) {
      if (identity.lastSeenMs - seenMs > this.lastSightingsMs) continue;
      if (this.options.topology.allows(cameraId, seenMs, o.cameraId, o.timestampMs)) return true;
    }
    return false;
  }
}

function latest(observations: readonly TrackObservation[]): number {
  let max = -Infinity;
  for (const o of observations) max = Math.max(max, o.timestampMs);
  return max;
}

function assignment(o: TrackObservation, globalId: number, kind: AssignmentKind): GlobalAssignment {
  return {
    cameraId: o.cameraId,
    trackId: o.trackId,
    globalId,
    kind,
    box: o.box,
    timestampMs: o.timestampMs,
  };
}

function groupByCamera(observations: readonly TrackObservation[]): Map<string, TrackObservation[]> {
  const byCamera = new Map<string, TrackObservation[]>();
  const seen = new Set<string>();
  for (const o of observations) {
    if (!Number.isFinite(o.timestampMs)) {
      throw new RangeError(`camera ${o.cameraId} track ${o.trackId}: timestampMs must be finite`);
    }
    const key = JSON.stringify([o.cameraId, o.trackId]);
    if (seen.has(key)) {
      throw new RangeError(`camera ${o.cameraId} track ${o.trackId} appears twice in one update`);
    }
    seen.add(key);
    const list = byCamera.get(o.cameraId) ?? [];
    list.push(o);
    byCamera.set(o.cameraId, list);
  }
  return byCamera;
}
