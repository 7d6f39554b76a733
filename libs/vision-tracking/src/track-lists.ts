/**
 * The list bookkeeping between frames. List order matters: it is the row order of the next
 * frame's assignment, where it can break ties, so these keep ByteTrack's order.
 */
import { iouDistances } from './box-geometry';
import { type Track } from './track';

/** `first` followed by the tracks of `second` not already in it. */
export function joined(first: readonly Track[], second: readonly Track[]): Track[] {
  const seen = new Set(first);
  const result = [...first];
  for (const track of second) {
    if (seen.has(track)) continue;
    seen.add(track);
    result.push(track);
  }
  return result;
}

/** `from` without the tracks in `without`, order kept. */
export function without(from: readonly Track[], without: ReadonlySet<Track>): Track[] {
  return from.filter((track) => !without.has(track));
}

/**
 * Drops one of each tracked/lost pair whose boxes nearly coincide (IoU distance below
 * `maxDistance`): the one followed for fewer frames goes (the tracked one on a tie).
 */
export function withoutDuplicates(
  tracked: readonly Track[],
  lost: readonly Track[],
  maxDistance: number,
): { tracked: Track[]; lost: Track[] } {
  if (tracked.length === 0 || lost.length === 0) return { tracked: [...tracked], lost: [...lost] };
  const distances = iouDistances(
    tracked.map((track) => track.box),
    lost.map((track) => track.box),
  );
  const dropTracked = new Set<Track>();
  const dropLost = new Set<Track>();
  for (let a = 0; a < tracked.length; a++) {
    for (let b = 0; b < lost.length; b++) {
      if (!(distances[a * lost.length + b] < maxDistance)) continue;
      const spanA = tracked[a].lastFrame - tracked[a].startFrame;
      const spanB = lost[b].lastFrame - lost[b].startFrame;
      if (spanA > spanB) dropLost.add(lost[b]);
      else dropTracked.add(tracked[a]);
    }
  }
  return { tracked: without(tracked, dropTracked), lost: without(lost, dropLost) };
}
