/**
 * ADE/FDE on real pedestrian tracks (TUD-Campus, TUD-Stadtmitte ground truth; see
 * test-reference/tud-tracks.ts): the constant-velocity baseline against the online ridge model, at
 * the annotation's 25 fps and subsampled to 10 fps like our streams, replayed causally (the learner
 * only learns from futures that have already happened; see evaluateForecastersOnTracks).
 *
 * Horizons: every 250 ms up to 2 s, so that ADE averages a dense grid; the table shows 0.5, 1, 2 s.
 */
import { missingPrerequisite, seededRandom } from '@test-support';
import {
  dropObservations,
  loadTudTracks,
  missingTudTracks,
  subsampleTracks,
  TUD_SEQUENCES,
  type TudSequence,
} from '../test-reference/tud-tracks';
import {
  ConstantVelocityForecaster,
  type ErrorTableRow,
  type EvaluationTrack,
  OnlineRidgeForecaster,
  evaluateForecastersOnTracks,
  formatErrorTable,
} from '@vision-forecast';

const GRID_MS = [250, 500, 750, 1000, 1250, 1500, 1750, 2000];
const SHOWN_MS = [500, 1000, 2000];
const DROP_SEED = 20240611;

interface Variant {
  label: string;
  tracks: (sequence: TudSequence) => EvaluationTrack[];
}

const VARIANTS: Variant[] = [
  { label: '25 fps', tracks: (s) => loadTudTracks(s) },
  { label: '10 fps', tracks: (s) => subsampleTracks(loadTudTracks(s), 10) },
  {
    label: '25 fps, 30 % of frames dropped',
    tracks: (s) => dropObservations(loadTudTracks(s), 0.3, seededRandom(DROP_SEED)),
  },
];

function evaluate(tracks: EvaluationTrack[]): ErrorTableRow[] {
  return evaluateForecastersOnTracks(
    tracks,
    { baseline: new ConstantVelocityForecaster(), 'online ridge': new OnlineRidgeForecaster() },
    GRID_MS,
  );
}

function row(rows: ErrorTableRow[], model: string, horizonMs: number): ErrorTableRow {
  const found = rows.find((r) => r.model === model && r.horizonMs === horizonMs);
  if (found === undefined) throw new Error(`no row for ${model} at ${horizonMs} ms`);
  return found;
}

describe('trajectory forecasting on TUD pedestrian tracks', () => {
  if (missingPrerequisite('the TUD ground-truth tracks', missingTudTracks())) return;

  const results = new Map<string, ErrorTableRow[]>();
  beforeAll(() => {
    const report: string[] = [];
    for (const sequence of TUD_SEQUENCES) {
      for (const variant of VARIANTS) {
        const rows = evaluate(variant.tracks(sequence));
        results.set(`${sequence} ${variant.label}`, rows);
        const shown = rows.filter((r) => SHOWN_MS.includes(r.horizonMs));
        report.push(`${sequence}, ${variant.label}\n${formatErrorTable(shown)}`);
      }
    }
    console.log(`ADE/FDE (px, foot point)\n\n${report.join('\n\n')}`);
  });

  function ratio(key: string, horizonMs: number): number {
    const rows = results.get(key) ?? [];
    return row(rows, 'online ridge', horizonMs).fdePx / row(rows, 'baseline', horizonMs).fdePx;
  }

  it('scores both models on the same forecasts', () => {
    for (const rows of results.values()) {
      for (const h of GRID_MS) {
        expect(row(rows, 'online ridge', h).forecasts).toBe(row(rows, 'baseline', h).forecasts);
        expect(row(rows, 'baseline', h).forecasts).toBeGreaterThan(0);
      }
    }
  });

  // Stadtmitte runs 7 s with up to 8 people at once: enough for the camera's model to learn.
  it.each(VARIANTS.map((v) => v.label))(
    'beats the baseline at 1 s and 2 s FDE on TUD-Stadtmitte (%s)',
    (label) => {
      expect(ratio(`TUD-Stadtmitte ${label}`, 1000)).toBeLessThan(0.95);
      expect(ratio(`TUD-Stadtmitte ${label}`, 2000)).toBeLessThan(0.93);
    },
  );

  // Campus lasts 2.8 s: no 2 s future is complete before its last 2 s forecast, so live learning
  // cannot change anything there; the model must stay (almost exactly) the baseline.
  it.each(VARIANTS.map((v) => v.label))(
    'falls back to the baseline on the too-short TUD-Campus (%s)',
    (label) => {
      for (const h of SHOWN_MS)
        expect(Math.abs(ratio(`TUD-Campus ${label}`, h) - 1)).toBeLessThan(0.01);
    },
  );
});
