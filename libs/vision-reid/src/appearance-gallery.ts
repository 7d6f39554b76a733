import { blendEmbedding, cosineSimilarity, unitCopy } from './embedding-math';

export interface AppearanceGalleryOptions {
  /** An identity not seen for longer than this expires (ms of the callers' timestamps). */
  ttlMs: number;
  /** At most this many identities; adding one more evicts the least recently seen. */
  maxIdentities: number;
  /**
   * Share of the running appearance kept at each observation (default 0.9): a slow average rides
   * out one bad crop (occlusion, blur) but still follows a person turning around.
   */
  momentum?: number;
  /**
   * Fraction taken off the similarity of an identity last seen `ttlMs` ago, linearly less for
   * younger ones (default 0.1): between two lookalikes, the one seen recently wins.
   */
  ageDiscount?: number;
}

/** One person as the gallery knows them. `embedding` is unit length and owned by the gallery. */
export interface Identity {
  readonly id: number;
  readonly embedding: Float32Array;
  readonly firstSeenMs: number;
  lastSeenMs: number;
  /** Camera of the most recent observation. */
  lastCameraId: string;
  /** Last time seen by each camera that ever saw this identity (for transit-time gating). */
  readonly sightings: Map<string, number>;
  observations: number;
}

/**
 * Global identities with a running appearance each. Pure bookkeeping: time only moves with the
 * timestamps callers pass, so replays give the same ids. Ids count up from 1 and are never reused.
 */
export class AppearanceGallery {
  private readonly identities = new Map<number, Identity>();
  private nextId = 1;
  private readonly momentum: number;
  private readonly ageDiscount: number;

  constructor(private readonly options: AppearanceGalleryOptions) {
    this.momentum = options.momentum ?? 0.9;
    this.ageDiscount = options.ageDiscount ?? 0.1;
    if (!(options.ttlMs > 0)) throw new RangeError('ttlMs must be > 0');
    if (!Number.isInteger(options.maxIdentities) || options.maxIdentities < 1) {
      throw new RangeError('maxIdentities must be an integer >= 1');
    }
    if (!(this.momentum >= 0 && this.momentum < 1))
      throw new RangeError('momentum must be in [0, 1)');
    if (!(this.ageDiscount >= 0 && this.ageDiscount <= 1)) {
      throw new RangeError('ageDiscount must be in [0, 1]');
    }
  }

  get size(): number {
    return this.identities.size;
  }

  get(id: number): Identity | undefined {
    return this.identities.get(id);
  }

  /** Identities in id order (the order ties are broken in). */
  all(): Identity[] {
    return [...this.identities.values()].sort((a, b) => a.id - b.id);
  }

  /** A new identity for a person seen for the first time; evicts the least recently seen if full. */
  create(embedding: ArrayLike<number>, cameraId: string, timestampMs: number): Identity {
    checkTime(timestampMs);
    const unit = unitCopy(embedding); // before taking an id: a refused embedding uses none
    return this.insert(this.nextId++, unit, cameraId, timestampMs);
  }

  /**
   * Blends an observation into an identity's appearance and marks it seen. An identity that was
   * evicted or expired while a track still held it comes back under the same id.
   */
  observe(
    id: number,
    embedding: ArrayLike<number>,
    cameraId: string,
    timestampMs: number,
  ): Identity {
    checkTime(timestampMs);
    const identity = this.identities.get(id);
    if (!identity) {
      if (!Number.isInteger(id) || id < 1 || id >= this.nextId) {
        throw new RangeError(`identity ${id} was never created by this gallery`);
      }
      return this.insert(id, unitCopy(embedding), cameraId, timestampMs);
    }
    blendEmbedding(identity.embedding, embedding, this.momentum);
    identity.observations += 1;
    // Frames of different cameras may arrive slightly out of order: time never goes back.
    if (timestampMs >= identity.lastSeenMs) {
      identity.lastSeenMs = timestampMs;
      identity.lastCameraId = cameraId;
    }
    identity.sightings.set(
      cameraId,
      Math.max(identity.sightings.get(cameraId) ?? -Infinity, timestampMs),
    );
    return identity;
  }

  /** Removes identities not seen for longer than ttlMs before `nowMs`; returns their ids. */
  expire(nowMs: number): number[] {
    const expired: number[] = [];
    for (const [id, identity] of this.identities) {
      if (nowMs - identity.lastSeenMs > this.options.ttlMs) expired.push(id);
    }
    for (const id of expired) this.identities.delete(id);
    return expired.sort((a, b) => a - b);
  }

  /** Cosine similarity to the identity's running appearance, discounted by its age at `nowMs`. */
  similarity(identity: Identity, embedding: ArrayLike<number>, nowMs: number): number {
    const age = Math.min(1, Math.max(0, nowMs - identity.lastSeenMs) / this.options.ttlMs);
    return cosineSimilarity(identity.embedding, embedding) * (1 - this.ageDiscount * age);
  }

  private insert(
    id: number,
    embedding: Float32Array,
    cameraId: string,
    timestampMs: number,
  ): Identity {
    while (this.identities.size >= this.options.maxIdentities) this.evictOldest();
    const identity: Identity = {
      id,
      embedding,
      firstSeenMs: timestampMs,
      lastSeenMs: timestampMs,
      lastCameraId: cameraId,
      sightings: new Map([[cameraId, timestampMs]]),
      observations: 1,
    };
    this.identities.set(id, identity);
    return identity;
  }

  private evictOldest(): void {
    let oldest: Identity | undefined;
    for (const identity of this.identities.values()) {
      if (
        !oldest ||
        identity.lastSeenMs < oldest.lastSeenMs ||
        (identity.lastSeenMs === oldest.lastSeenMs && identity.id < oldest.id)
      ) {
        oldest = identity;
      }
    }
    if (oldest) this.identities.delete(oldest.id);
  }
}

function checkTime(timestampMs: number): void {
  if (!Number.isFinite(timestampMs)) throw new RangeError('timestampMs must be finite');
}
