import { CameraTopology, type CameraTopologyOptions } from './camera-topology';
import { cosineSimilarity } from './embedding-math';
import {
  CrossCameraAssociator,
  type CrossCameraAssociatorOptions,
  type TrackObservation,
} from './cross-camera-associator';

/** Person k's appearance: axis k, with a little of axis 7 as "noise". */
const person = (k: number, noise = 0.1): number[] => {
  const v = new Array<number>(8).fill(0);
  v[k] = 1;
  v[7] = noise;
  return v;
};

const see = (
  cameraId: string,
  trackId: number,
  timestampMs: number,
  embedding: number[],
): TrackObservation => ({
  cameraId,
  trackId,
  timestampMs,
  embedding,
  box: [0, 0, 10, 20],
});

// a and b overlap; c is 10-60 s from a; d is linked to nothing.
const TOPOLOGY: CameraTopologyOptions = {
  links: [
    { from: 'a', to: 'b', minTransitMs: 0, maxTransitMs: 2000 },
    { from: 'a', to: 'c', minTransitMs: 10_000, maxTransitMs: 60_000 },
  ],
};

function associator(
  overrides: Partial<CrossCameraAssociatorOptions> = {},
  topology: CameraTopologyOptions = TOPOLOGY,
): CrossCameraAssociator {
  return new CrossCameraAssociator({
    topology: new CameraTopology(topology),
    gallery: { ttlMs: 120_000, maxIdentities: 100 },
    threshold: 0.8,
    ...overrides,
  });
}

const ids = (assignments: { globalId: number }[]): number[] => assignments.map((a) => a.globalId);

describe('CrossCameraAssociator', () => {
  it('gives a new track a new id, keeps it while the track lives and refreshes its appearance', () => {
    const reid = associator();
    expect(reid.update([see('a', 1, 0, person(0))])).toEqual([
      expect.objectContaining({ cameraId: 'a', trackId: 1, globalId: 1, kind: 'created' }),
    ]);
    const turned = [0.6, 0.8, 0, 0, 0, 0, 0, 0]; // the same track, looking different now
    expect(reid.update([see('a', 1, 40, turned)])).toEqual([
      expect.objectContaining({ globalId: 1, kind: 'kept', timestampMs: 40 }),
    ]);
    const appearance = reid.gallery.get(1)!.embedding;
    expect(cosineSimilarity(appearance, turned)).toBeGreaterThan(
      cosineSimilarity(person(0), turned),
    );
    expect(reid.globalIdOf('a', 1)).toBe(1);
  });

  it('finds the person on an overlapping camera at once and on a linked one after the transit time', () => {
    const reid = associator({ trackTimeoutMs: 20_000 });
    reid.update([see('a', 1, 0, person(0)), see('a', 2, 0, person(1))]);
    const [onB] = reid.update([see('b', 7, 500, person(1, 0.2))]);
    expect(onB).toMatchObject({ globalId: 2, kind: 'matched' });
    expect(onB.similarity).toBeGreaterThan(0.95);
    reid.endTrack('a', 1);
    // Too early for a -> c (at least 10 s): a new identity, which c/1 goes on holding.
    expect(reid.update([see('c', 1, 5000, person(0))])).toEqual([
      expect.objectContaining({ globalId: 3, kind: 'created' }),
    ]);
    // Within the window: c/2 is person 0 again (id 3 is held by c/1 on this camera).
    expect(reid.update([see('c', 1, 15_000, person(0)), see('c', 2, 15_000, person(0))])).toEqual([
      expect.objectContaining({ trackId: 1, globalId: 3, kind: 'kept' }),
      expect.objectContaining({ trackId: 2, globalId: 1, kind: 'matched' }),
    ]);
  });

  it('never matches across cameras the topology does not link, or after the window', () => {
    const reid = associator();
    reid.update([see('a', 1, 0, person(0))]);
    expect(ids(reid.update([see('d', 1, 100, person(0))]))).toEqual([2]);
    expect(ids(reid.update([see('b', 1, 2500, person(0))]))).toEqual([3]); // overlap window is 2 s
  });

  it('holds one global id on at most one live track per camera', () => {
    const reid = associator();
    reid.update([see('a', 1, 0, person(0))]);
    // A second track on the same camera that looks much the same cannot take id 1.
    const lookalike = person(0, 0.5);
    expect(cosineSimilarity(lookalike, person(0))).toBeGreaterThan(0.9);
    expect(ids(reid.update([see('a', 1, 40, person(0)), see('a', 2, 40, lookalike)]))).toEqual([
      1, 2,
    ]);
    // Camera b sees both at once (overlap): each new track gets its own identity back.
    expect(
      reid
        .update([see('b', 8, 80, lookalike), see('b', 9, 80, person(0))])
        .map((a) => [a.trackId, a.globalId]),
    ).toEqual([
      [8, 2],
      [9, 1],
    ]);
  });

  it('lets the same camera find a lost person again: after endTrack or the track timeout', () => {
    const reid = associator({ trackTimeoutMs: 1000 });
    reid.update([see('a', 1, 0, person(0)), see('a', 2, 0, person(1))]);
    reid.endTrack('a', 1);
    expect(reid.update([see('a', 5, 500, person(0)), see('a', 2, 500, person(1))])).toEqual([
      expect.objectContaining({ trackId: 5, globalId: 1, kind: 'matched' }),
      expect.objectContaining({ trackId: 2, globalId: 2, kind: 'kept' }),
    ]);
    // Track 2 is not reported for more than 1 s: lost, and its id is free on camera a again.
    expect(ids(reid.update([see('a', 5, 1600, person(0)), see('a', 6, 1600, person(1))]))).toEqual([
      1, 2,
    ]);
    expect(reid.globalIdOf('a', 2)).toBeUndefined();
  });

  it('counts where a person was seen last, not every camera that ever saw them', () => {
    const options: CameraTopologyOptions = {
      ...TOPOLOGY,
      sameCamera: { minTransitMs: 0, maxTransitMs: 60_000 },
    };
    const reid = associator({}, options);
    reid.update([see('a', 1, 0, person(0))]);
    reid.endTrack('a', 1);
    expect(ids(reid.update([see('c', 1, 20_000, person(0))]))).toEqual([1]);
    // Seen on c a second ago: c -> a takes at least 10 s, however recent the old sighting on a is.
    expect(reid.update([see('a', 2, 21_000, person(0))])).toEqual([
      expect.objectContaining({ globalId: 2, kind: 'created' }),
    ]);
  });

  it('solves the assignment jointly, not greedily', () => {
    // Identities 1 and 2 on camera b; new tracks X and Y on camera a with
    // cos(X,1) 0.9, cos(X,2) 0.8, cos(Y,1) 0.85, cos(Y,2) 0.3 and threshold 0.7: greedy gives
    // X 1 and leaves Y without a match; the optimum is X 2, Y 1.
    const reid = associator({
      threshold: 0.7,
      gallery: { ttlMs: 120_000, maxIdentities: 10, ageDiscount: 0 },
    });
    const i1 = [1, 0, 0, 0];
    const i2 = [0.6, 0.8, 0, 0];
    const x = [0.9, 0.325, Math.sqrt(1 - 0.81 - 0.325 ** 2), 0];
    const y = [0.85, -0.2625, 0, Math.sqrt(1 - 0.85 ** 2 - 0.2625 ** 2)];
    expect(cosineSimilarity(x, i2)).toBeCloseTo(0.8, 6);
    expect(cosineSimilarity(y, i2)).toBeCloseTo(0.3, 6);
    reid.update([see('b', 1, 0, i1), see('b', 2, 0, i2)]);
    expect(ids(reid.update([see('a', 10, 100, x), see('a', 11, 100, y)]))).toEqual([2, 1]);
  });

  it('forgets identities after the gallery TTL and answers in input order, deterministically', () => {
    const run = (): number[][] => {
      const reid = associator({ gallery: { ttlMs: 1000, maxIdentities: 100 } });
      return [
        ids(reid.update([see('b', 2, 0, person(1)), see('a', 1, 0, person(0))])),
        ids(reid.update([see('a', 1, 500, person(0))])),
        ids(reid.update([see('a', 9, 3000, person(1))])),
      ];
    };
    // Cameras are taken in id order (a before b), so a/1 gets id 1 though b/2 came first.
    expect(run()).toEqual([[2, 1], [1], [3]]);
    expect(run()).toEqual(run());
  });

  it('refuses a track twice in one update and a meaningless threshold', () => {
    const reid = associator();
    expect(() => reid.update([see('a', 1, 0, person(0)), see('a', 1, 0, person(0))])).toThrow(
      /appears twice/,
    );
    expect(() => associator({ threshold: 2 })).toThrow(/threshold/);
    expect(() => reid.update([see('a', 1, Number.NaN, person(0))])).toThrow(/finite/);
  });
});
