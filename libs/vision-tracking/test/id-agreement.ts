/**
 * Compares two trackers by which detections they put in the same track, not by id numbers: ids
 * are mapped one-to-one by how often they label the same detection (an optimal assignment on
 * co-occurrence counts), then every detection is checked frame by frame.
 */
import { munkres } from 'munkres';

/** Per frame, the track id each input detection got; -1 when it got none. */
export type FrameIds = number[][];

export interface Disagreement {
  /** 0-based frame and input detection index. */
  frame: number;
  detection: number;
  ours: number;
  theirs: number;
  /** The reference id our id maps to (-1 when it maps to none). */
  oursMapped: number;
}

export interface Agreement {
  /** Our id → reference id. */
  mapping: Map<number, number>;
  /** Detections that either tracker put in a track. */
  tracked: number;
  /** Of those, the ones both put in corresponding tracks. */
  agreeing: number;
  disagreements: Disagreement[];
}

export function compareGroupings(ours: FrameIds, theirs: FrameIds): Agreement {
  if (ours.length !== theirs.length) {
    throw new Error(`frame counts differ: ${ours.length} vs ${theirs.length}`);
  }
  const counts = new Map<number, Map<number, number>>();
  const theirIds = new Set<number>();
  ours.forEach((frame, f) =>
    frame.forEach((a, d) => {
      const b = theirs[f][d];
      if (a < 0 || b < 0) return;
      theirIds.add(b);
      const row = counts.get(a) ?? new Map<number, number>();
      row.set(b, (row.get(b) ?? 0) + 1);
      counts.set(a, row);
    }),
  );
  const rows = [...counts.keys()];
  const cols = [...theirIds];
  const mapping = new Map<number, number>();
  if (rows.length > 0) {
    const cost = rows.map((a) => cols.map((b) => -(counts.get(a)?.get(b) ?? 0)));
    for (const [r, c] of munkres(cost)) {
      if (cost[r][c] < 0) mapping.set(rows[r], cols[c]);
    }
  }

  let tracked = 0;
  let agreeing = 0;
  const disagreements: Disagreement[] = [];
  ours.forEach((frame, f) =>
    frame.forEach((a, d) => {
      const b = theirs[f][d];
      if (a < 0 && b < 0) return;
      tracked++;
      const oursMapped = a < 0 ? -1 : (mapping.get(a) ?? -1);
      if (a >= 0 && b >= 0 && oursMapped === b) agreeing++;
      else disagreements.push({ frame: f, detection: d, ours: a, theirs: b, oursMapped });
    }),
  );
  return { mapping, tracked, agreeing, disagreements };
}
