import { AppearanceGallery } from './appearance-gallery';
import { cosineSimilarity } from './embedding-math';

const E = (...values: number[]): Float32Array => Float32Array.from(values);

describe('AppearanceGallery', () => {
  const options = { ttlMs: 1000, maxIdentities: 3 };

  it('numbers identities 1, 2, 3, ... and stores unit-length copies', () => {
    const gallery = new AppearanceGallery(options);
    const input = E(3, 4);
    const a = gallery.create(input, 'cam-a', 0);
    const b = gallery.create(E(0, 2), 'cam-b', 10);
    expect([a.id, b.id]).toEqual([1, 2]);
    expect(Array.from(a.embedding)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    input[0] = 100;
    expect(a.embedding[0]).toBeCloseTo(0.6, 6);
    expect(gallery.all().map((i) => i.id)).toEqual([1, 2]);
  });

  it('keeps a running average of the appearance, last seen time and camera', () => {
    const gallery = new AppearanceGallery({ ...options, momentum: 0.5 });
    const { id } = gallery.create(E(1, 0), 'cam-a', 0);
    const updated = gallery.observe(id, E(0, 1), 'cam-b', 40);
    // 0.5 (1, 0) + 0.5 (0, 1), renormalised.
    expect(updated.embedding[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(updated.embedding[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(updated).toMatchObject({
      lastSeenMs: 40,
      lastCameraId: 'cam-b',
      observations: 2,
      firstSeenMs: 0,
    });
    expect(Object.fromEntries(updated.sightings)).toEqual({ 'cam-a': 0, 'cam-b': 40 });
    // A late frame of another camera blends in but does not move "last seen" back.
    gallery.observe(id, E(0, 1), 'cam-c', 20);
    expect(updated).toMatchObject({ lastSeenMs: 40, lastCameraId: 'cam-b' });
    expect(updated.sightings.get('cam-c')).toBe(20);
  });

  it('expires identities not seen for longer than ttlMs', () => {
    const gallery = new AppearanceGallery(options);
    gallery.create(E(1, 0), 'a', 0);
    gallery.create(E(0, 1), 'a', 500);
    expect(gallery.expire(1000)).toEqual([]);
    expect(gallery.expire(1001)).toEqual([1]);
    expect(gallery.all().map((i) => i.id)).toEqual([2]);
    expect(gallery.expire(1501)).toEqual([2]);
    expect(gallery.size).toBe(0);
  });

  it('evicts the least recently seen identity when full, and never reuses an id', () => {
    const gallery = new AppearanceGallery(options);
    gallery.create(E(1, 0), 'a', 0);
    gallery.create(E(1, 0), 'a', 10);
    gallery.create(E(1, 0), 'a', 20);
    gallery.observe(1, E(1, 0), 'a', 30); // 2 is now the oldest
    const fourth = gallery.create(E(0, 1), 'a', 40);
    expect(fourth.id).toBe(4);
    expect(gallery.all().map((i) => i.id)).toEqual([1, 3, 4]);
  });

  it('brings back an evicted identity under its id when its track is still seen', () => {
    const gallery = new AppearanceGallery({ ...options, maxIdentities: 1 });
    gallery.create(E(1, 0), 'a', 0);
    gallery.create(E(0, 1), 'a', 10);
    expect(gallery.get(1)).toBeUndefined();
    const back = gallery.observe(1, E(1, 0), 'a', 20);
    expect(back).toMatchObject({ id: 1, firstSeenMs: 20, observations: 1 });
    expect(gallery.all().map((i) => i.id)).toEqual([1]);
    expect(() => gallery.observe(7, E(1, 0), 'a', 30)).toThrow(/never created/);
  });

  it('discounts similarity with age: up to ageDiscount off at ttlMs', () => {
    const gallery = new AppearanceGallery({ ...options, ageDiscount: 0.2 });
    const identity = gallery.create(E(1, 0), 'a', 0);
    expect(gallery.similarity(identity, E(1, 0), 0)).toBeCloseTo(1, 6);
    expect(gallery.similarity(identity, E(1, 0), 500)).toBeCloseTo(0.9, 6);
    expect(gallery.similarity(identity, E(1, 0), 1000)).toBeCloseTo(0.8, 6);
    expect(gallery.similarity(identity, E(1, 1), 0)).toBeCloseTo(
      cosineSimilarity(E(1, 0), E(1, 1)),
      6,
    );
  });

  it('refuses settings and embeddings that would break it', () => {
    expect(() => new AppearanceGallery({ ttlMs: 0, maxIdentities: 1 })).toThrow(/ttlMs/);
    expect(() => new AppearanceGallery({ ttlMs: 1, maxIdentities: 0 })).toThrow(/maxIdentities/);
    expect(() => new AppearanceGallery({ ttlMs: 1, maxIdentities: 1, momentum: 1 })).toThrow(
      /momentum/,
    );
    const gallery = new AppearanceGallery(options);
    expect(() => gallery.create(E(Number.NaN, 1), 'a', 0)).toThrow(/not finite/);
    gallery.create(E(1, 0), 'a', 0);
    expect(() => gallery.observe(1, E(1, 0, 0), 'a', 1)).toThrow(/lengths differ/);
  });
});
