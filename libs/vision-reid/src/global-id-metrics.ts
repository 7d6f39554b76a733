import type { TrackRef } from './types';

export interface GlobalIdAssignment extends TrackRef {
  globalId: number;
}

export interface PairwiseScores {
  precision: number;
  recall: number;
  f1: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

/**
 * Pairwise precision and recall of cross-camera identity assignment.
 *
 * Ground truth: `samePerson` lists pairs of tracks (on different cameras) that are one person;
 * "same person" is taken as the equivalence these pairs generate (A~B and B~C give A~C). Every
 * track in `assignments` that no pair names is a person of its own. Only pairs of tracks on
 * different cameras are counted:
 * - predicted pair: two tracks that were given the same global id;
 * - true pair: two tracks of the same person;
 * - precision = |predicted ∩ true| / |predicted| (1 when nothing was predicted: no wrong claims);
 * - recall = |predicted ∩ true| / |true| (1 when there is nothing to find).
 * A ground-truth track missing from `assignments` never got an id: its true pairs are all missed.
 * Counted per group, not per pair, so it is linear in the number of tracks.
 */
export function globalIdPrecisionRecall(
  samePerson: readonly (readonly [TrackRef, TrackRef])[],
  assignments: readonly GlobalIdAssignment[],
): PairwiseScores {
  const person = new UnionFind();
  for (const [a, b] of samePerson) {
    if (a.cameraId === b.cameraId) {
      throw new RangeError(
        `ground-truth pair on one camera (${a.cameraId}): cross-camera pairs only`,
      );
    }
    person.union(keyOf(a), keyOf(b));
  }
  const assigned = new Map<string, GlobalIdAssignment>();
  for (const a of assignments) {
    const key = keyOf(a);
    if (assigned.has(key)) throw new RangeError(`track ${key} is assigned twice`);
    assigned.set(key, a);
  }

  // Every track's camera, from the assignments and from the ground truth.
  const cameraOf = new Map<string, string>();
  for (const a of assignments) cameraOf.set(keyOf(a), a.cameraId);
  for (const pair of samePerson) for (const t of pair) cameraOf.set(keyOf(t), t.cameraId);

  const truth = new CrossCameraPairs();
  const predicted = new CrossCameraPairs();
  const both = new CrossCameraPairs();
  for (const [key, cameraId] of cameraOf) {
    const personId = person.find(key);
    truth.add(personId, cameraId);
    const a = assigned.get(key);
    if (a) {
      predicted.add(String(a.globalId), cameraId);
      both.add(JSON.stringify([personId, a.globalId]), cameraId);
    }
  }
  const tp = both.count();
  const fp = predicted.count() - tp;
  const fn = truth.count() - tp;
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePositives: tp, falsePositives: fp, falseNegatives: fn };
}

function keyOf(t: TrackRef): string {
  return JSON.stringify([t.cameraId, t.trackId]);
}

/** Counts unordered pairs within each group whose two members are on different cameras. */
class CrossCameraPairs {
  private readonly groups = new Map<string, Map<string, number>>();

  add(group: string, cameraId: string): void {
    const cameras = this.groups.get(group) ?? new Map<string, number>();
    cameras.set(cameraId, (cameras.get(cameraId) ?? 0) + 1);
    this.groups.set(group, cameras);
  }

  count(): number {
    let pairs = 0;
    for (const cameras of this.groups.values()) {
      let total = 0;
      let sameCamera = 0;
      for (const n of cameras.values()) {
        total += n;
        sameCamera += (n * (n - 1)) / 2;
      }
      pairs += (total * (total - 1)) / 2 - sameCamera;
    }
    return pairs;
  }
}

class UnionFind {
  private readonly parent = new Map<string, string>();

  find(x: string): string {
    let root = x;
    while (this.parent.has(root) && this.parent.get(root) !== root) root = this.parent.get(root)!;
    // Path compression keeps repeated finds cheap.
    let node = x;
    while (node !== root) {
      const next = this.parent.get(node)!;
      this.parent.set(node, root);
      node = next;
    }
    return root;
  }

  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }
}
