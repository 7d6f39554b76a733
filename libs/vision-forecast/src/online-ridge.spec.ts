import { seededRandom } from '@test-support';
import { ConstantVelocityForecaster } from './constant-velocity';
import { evaluateForecastersOnTracks, type EvaluationTrack } from './evaluation';
import { OnlineRidgeForecaster } from './online-ridge';
import { type TrackPoint } from './types';

const HORIZONS = [500, 1000, 2000];

/**
 * Synthetic scene: people whose velocity wanders back towards standing still (an Ornstein–Uhlenbeck
 * velocity, time constant `tauMs`), observed every 100 ms. Recent velocity overshoots their future
 * here, which is what a camera's model should learn to damp.
 */
function wanderingScene(tracks: number, tauMs: number, seed: number): EvaluationTrack[] {
  const random = seededRandom(seed);
  const gauss = (): number =>
    Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: tracks }, (_, id) => {
    const start = id * 300; // a new person every 0.3 s, each followed for 6 s
    let x = 320;
    let y = 240;
    let vx = 0.15 * gauss();
    let vy = 0.15 * gauss();
    const points: TrackPoint[] = [];
    for (let step = 0; step <= 600; step++) {
      if (step % 10 === 0) points.push({ tMs: start + step * 10, x, y });
      x += vx * 10;
      y += vy * 10;
      vx += (-vx / tauMs) * 10 + 0.15 * Math.sqrt(20 / tauMs) * gauss();
      vy += (-vy / tauMs) * 10 + 0.15 * Math.sqrt(20 / tauMs) * gauss();
    }
    return { id, points };
  });
}

const straight = (id: number, start: number, vx: number, vy: number): EvaluationTrack => ({
  id,
  points: Array.from({ length: 51 }, (_, i) => ({
    tMs: start + i * 100,
    x: 100 + vx * i * 100,
    y: 300 + vy * i * 100,
  })),
});

function fde(
  rows: ReturnType<typeof evaluateForecastersOnTracks>,
  model: string,
  h: number,
): number {
  const row = rows.find((r) => r.model === model && r.horizonMs === h);
  if (row === undefined) throw new Error(`no ${model}@${h}`);
  return row.fdePx;
}

function feed(model: OnlineRidgeForecaster, tracks: readonly EvaluationTrack[]): void {
  const events = tracks
    .flatMap((t) => t.points.map((p) => ({ id: t.id, p })))
    .sort((a, b) => a.p.tMs - b.p.tMs);
  for (const { id, p } of events) model.observe(id, p);
}

describe('OnlineRidgeForecaster', () => {
  const scene = wanderingScene(200, 1000, 7);

  it('is exactly the constant-velocity baseline before it has learned anything', () => {
    const model = new OnlineRidgeForecaster();
    const cv = new ConstantVelocityForecaster();
    for (const track of scene.slice(0, 20)) {
      for (let i = 1; i < track.points.length; i += 7) {
        const history = track.points.slice(0, i + 1);
        expect(model.forecast(history, HORIZONS)).toEqual(cv.forecast(history, HORIZONS));
      }
    }
    expect(model.learnedHorizons().every((h) => !h.learned && h.weights[0] === 1)).toBe(true);
  });

  it('learns to damp where people slow down and turn, and beats the baseline there', () => {
    const rows = evaluateForecastersOnTracks(
      scene,
      { cv: new ConstantVelocityForecaster(), ridge: new OnlineRidgeForecaster() },
      HORIZONS,
    );
    console.log(
      `wandering scene, FDE ridge/cv: 1 s ${(fde(rows, 'ridge', 1000) / fde(rows, 'cv', 1000)).toFixed(3)}, ` +
        `2 s ${(fde(rows, 'ridge', 2000) / fde(rows, 'cv', 2000)).toFixed(3)}`,
    );
    expect(fde(rows, 'ridge', 1000)).toBeLessThan(0.95 * fde(rows, 'cv', 1000));
    expect(fde(rows, 'ridge', 2000)).toBeLessThan(0.9 * fde(rows, 'cv', 2000));

    const model = new OnlineRidgeForecaster();
    feed(model, scene);
    const learned = model.learnedHorizons();
    const total = (h: number): number =>
      (learned.find((l) => l.horizonMs === h)?.weights ?? []).reduce((a, b) => a + b, 0);
    expect(learned.every((l) => l.learned)).toBe(true);
    expect(total(2000)).toBeLessThan(total(500));
    expect(total(2000)).toBeLessThan(0.9);
  });

  it('keeps the baseline for histories shorter than its longest window, even once trained', () => {
    const model = new OnlineRidgeForecaster();
    feed(model, scene);
    const cv = new ConstantVelocityForecaster();
    const history = scene[3].points.slice(0, 10); // 0.9 s
    expect(model.forecast(history, HORIZONS)).toEqual(cv.forecast(history, HORIZONS));
    const longer = scene[3].points.slice(0, 12); // 1.1 s
    expect(model.forecast(longer, HORIZONS)).not.toEqual(cv.forecast(longer, HORIZONS));
  });

  it('stays on constant velocity in a scene that moves at constant velocity', () => {
    const tracks = Array.from({ length: 60 }, (_, i) =>
      straight(i, i * 200, 0.05 + 0.002 * i, 0.03 - 0.001 * i),
    );
    const rows = evaluateForecastersOnTracks(
      tracks,
      { ridge: new OnlineRidgeForecaster() },
      HORIZONS,
    );
    for (const h of HORIZONS) expect(fde(rows, 'ridge', h)).toBeLessThan(1e-6);
  });

  it('learns nothing across a gap in a track', () => {
    const model = new OnlineRidgeForecaster();
    for (let t = 0; t <= 1000; t += 100) model.observe('a', { tMs: t, x: t, y: 0 });
    model.observe('a', { tMs: 6000, x: 0, y: 0 });
    expect(model.learnedHorizons().map((h) => h.samples)).toEqual([0, 0, 0, 0, 0]);
  });

  it('is deterministic', () => {
    const a = new OnlineRidgeForecaster();
    const b = new OnlineRidgeForecaster();
    feed(a, scene.slice(0, 50));
    feed(b, scene.slice(0, 50));
    expect(a.learnedHorizons()).toEqual(b.learnedHorizons());
  });

  it('bounds its memory: at most maxTracks tracks, forgotten on endTrack', () => {
    const model = new OnlineRidgeForecaster({ maxTracks: 50 });
    for (let id = 0; id < 1000; id++) {
      for (let i = 0; i < 3; i++) model.observe(id, { tMs: id * 10 + i, x: i, y: i });
    }
    expect(model.trackCount).toBe(50);
    for (let id = 950; id < 1000; id++) model.endTrack(id);
    expect(model.trackCount).toBe(0);
  });

  it('rejects bad observations and options', () => {
    const model = new OnlineRidgeForecaster();
    expect(() => model.observe('a', { tMs: 0, x: Number.NaN, y: 0 })).toThrow(/finite/);
    expect(() => model.observe('a', { tMs: Infinity, x: 0, y: 0 })).toThrow(/finite/);
    model.observe('a', { tMs: 10, x: 0, y: 0 });
    expect(() => model.observe('a', { tMs: 10, x: 1, y: 0 })).toThrow(/increase/);
    expect(() => new OnlineRidgeForecaster({ windowsMs: [1000, 400] })).toThrow(RangeError);
    expect(() => new OnlineRidgeForecaster({ windowsMs: [] })).toThrow(RangeError);
    expect(() => new OnlineRidgeForecaster({ minSamples: Number.NaN })).toThrow(RangeError);
    expect(() => new OnlineRidgeForecaster({ originSpacingMs: 10 })).toThrow(RangeError);
  });

  it('costs a few microseconds per observation', () => {
    // One camera: 100 people at once at 25 fps for 60 s, each track living 8 s.
    const model = new OnlineRidgeForecaster();
    const random = seededRandom(11);
    const observations: { id: number; p: TrackPoint }[] = [];
    const velocity = new Map<number, { vx: number; vy: number; x: number; y: number }>();
    for (let frame = 0; frame < 1500; frame++) {
      for (let slot = 0; slot < 100; slot++) {
        const id = slot * 1000 + Math.floor((frame + slot * 2) / 200);
        let s = velocity.get(id);
        if (s === undefined) {
          s = {
            vx: random() * 0.2 - 0.1,
            vy: random() * 0.1 - 0.05,
            x: random() * 640,
            y: random() * 480,
          };
          velocity.set(id, s);
        }
        s.x += s.vx * 40 + random() - 0.5;
        s.y += s.vy * 40 + random() - 0.5;
        observations.push({ id, p: { tMs: frame * 40, x: s.x, y: s.y } });
      }
    }
    const started = process.hrtime.bigint();
    for (const { id, p } of observations) model.observe(id, p);
    const microsPerObservation =
      Number(process.hrtime.bigint() - started) / 1000 / observations.length;

    const history = observations
      .filter((o) => o.id === 0)
      .map((o) => o.p)
      .slice(0, 50);
    const forecasts = 20_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < forecasts; i++) model.forecast(history, HORIZONS);
    const microsPerForecast = Number(process.hrtime.bigint() - t0) / 1000 / forecasts;

    console.log(
      `OnlineRidgeForecaster: ${microsPerObservation.toFixed(2)} µs per observe (${observations.length} ` +
        `observations, ${model.trackCount} tracks held), ${microsPerForecast.toFixed(2)} µs per forecast ` +
        `(50-point history, 3 horizons)`,
    );
    expect(model.learnedHorizons().every((h) => h.learned)).toBe(true);
    // Generous bounds (shared CI cores); an O(history) or O(tracks) regression breaks them.
    expect(microsPerObservation).toBeLessThan(25);
    expect(microsPerForecast).toBeLessThan(50);
  });
});
