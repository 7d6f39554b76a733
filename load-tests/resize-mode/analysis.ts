import { planPreprocess } from '@vision-math';
import { round, summarize, type LatencySummary } from '../lib/latency-stats';
import { seededRandom } from '@test-support';
import { centreMatchCount, greedyMatch, type Box } from './boxes';
import type { Collected, Detection, FrameRecord, Timings } from './collect';
import { MODES, PERSON, PLAUSIBLE_VTEST_CLASSES, type Mode, type StudySettings } from './settings';
import { blockBootstrap, histogram, mean, median, type Interval } from './stats';

export interface CountStats {
  mean: number;
  median: number;
}

export interface ModeSummary {
  mode: Mode;
  personsPerFrame: { atHigh: CountStats; atOperating: CountStats; atLow: CountStats };
  /** Mean score of all person detections at the operating point. */
  meanPersonScore: number;
  /** Person scores at the low threshold: bin edges and the mean count per frame in each bin. */
  lowThresholdPersonScores: { edges: number[]; perFrame: number[] };
  /** Detections at the operating point of classes outside PLAUSIBLE_VTEST_CLASSES. */
  implausible: {
    total: number;
    perFrame: number;
    framesWithAny: number;
    byClass: Record<string, number>;
  };
  /** Every class at the operating point, summed over the frames. */
  classCounts: Record<string, number>;
  temporal: {
    framePairs: number;
    /** Mean |persons(t) − persons(t−1)| at the operating point and at the high threshold. */
    meanAbsCountChange: number;
    meanAbsCountChangeAtHigh: number;
    /** Person detections at t with a partner at t−1 (see persistenceMaxShift), as a fraction. */
    persistence: number;
  };
  timingsMs: { preprocess: LatencySummary; infer: LatencySummary; total: LatencySummary };
}

export interface CrossMode {
  stretchPersons: number;
  letterboxPersons: number;
  matched: number;
  matchedFractionOfStretch: number;
  matchedFractionOfLetterbox: number;
  meanIou: number;
  meanScore: Record<Mode, number>;
  /** letterbox − stretch on matched pairs. */
  meanScoreDifference: number;
  letterboxScoreHigherFraction: number;
  /** Mean score of the person detections the other mode did not find. */
  unmatchedMeanScore: Record<Mode, number>;
  /** letterbox − stretch persons per frame at the operating point, with a block-bootstrap 95% CI. */
  perFrameCountDifference: Interval;
  frames: { letterboxMore: number; equal: number; stretchMore: number };
  /** letterbox − stretch implausible-class detections per frame, 95 % CI. */
  implausiblePerFrameDifference: Interval;
  /** letterbox − stretch mean |Δ person count| between consecutive frames, 95 % CI. */
  countChangeDifference: Interval;
}

export interface AspectModeResult {
  /** Model-input pixels per source pixel, on this variant and on the original frame. */
  scale: { x: number; y: number; originalX: number; originalY: number };
  personsPerFrame: number;
  originalPersonsPerFrame: number;
  /** Original-frame person detections (this mode, ≥ 0.35) found again at ≥ 0.35, IoU ≥ 0.5. */
  selfRecall: Interval;
  /** The same, found again at the low threshold (the box is still there, maybe scored lower). */
  softRecall: number;
  meanIouOfMatches: number;
  /** Mean (variant − original) score over the matched pairs. */
  meanScoreChange: number;
  /** Person detections at ≥ 0.35 on the variant without an original partner, per frame. */
  unmatchedNewPerFrame: number;
  /** Consensus people (both modes agree on the original frame) found at ≥ 0.35, IoU ≥ 0.5. */
  consensusRecall: Interval;
  detectionsInPadding: number;
  timingsMs: { preprocess: LatencySummary };
}

export interface AspectResult {
  variant: string;
  size: { width: number; height: number };
  consensusPeople: number;
  perMode: Record<Mode, AspectModeResult>;
  /** letterbox − stretch, block-bootstrap 95% CIs. */
  consensusRecallDifference: Interval;
  selfRecallDifference: Interval;
}

export interface StillResult {
  image: string;
  width: number;
  height: number;
  perMode: Record<
    Mode,
    { persons: number; topPersonScore: number; detections: { label: string; score: number }[] }
  >;
  /** Same-class IoU ≥ 0.5 matching of all detections at the operating point. */
  agreement: { stretch: number; letterbox: number; matched: number; meanIou: number };
}

export interface Analysis {
  frames: number;
  frameIndices: number[];
  perMode: Record<Mode, ModeSummary>;
  crossMode: CrossMode;
  aspect: AspectResult[];
  stills: StillResult[];
  /** Per-frame person counts at the operating point (for plots or re-analysis). */
  personCounts: Record<string, Record<Mode, number[]>>;
}

const persons = (detections: readonly Detection[], threshold: number): Detection[] =>
  detections.filter((d) => d.label === PERSON && d.score >= threshold);
const boxes = (detections: readonly Detection[]): Box[] => detections.map((d) => d.box);
const countStats = (values: readonly number[]): CountStats => ({
  mean: round(mean(values), 3),
  median: median(values),
});
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const r4 = (value: number): number => round(value, 4);
const roundInterval = (interval: Interval): Interval => ({
  estimate: r4(interval.estimate),
  low: r4(interval.low),
  high: r4(interval.high),
});
const timing = (runs: readonly Timings[], stage: string): LatencySummary => {
  const summary = summarize(runs.map((t) => t[stage] ?? Number.NaN));
  return {
    count: summary.count,
    meanMs: round(summary.meanMs),
    p50Ms: round(summary.p50Ms),
    p90Ms: round(summary.p90Ms),
    p99Ms: round(summary.p99Ms),
    maxMs: round(summary.maxMs),
  };
};

const SCORE_EDGES = [0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 1];

function modeSummary(frames: readonly FrameRecord[], mode: Mode, s: StudySettings): ModeSummary {
  const runs = frames.map((f) => f.original[mode]);
  const opPersons = runs.map((r) => persons(r.op, s.scoreThreshold));
  const highCounts = runs.map((r) => persons(r.op, s.highScoreThreshold).length);
  const opCounts = opPersons.map((p) => p.length);
  const lowPersons = runs.map((r) => persons(r.low, s.lowScoreThreshold));

  const classCounts: Record<string, number> = {};
  const implausibleByClass: Record<string, number> = {};
  let framesWithAny = 0;
  for (const run of runs) {
    let any = false;
    for (const d of run.op) {
      classCounts[d.label] = (classCounts[d.label] ?? 0) + 1;
      if (!PLAUSIBLE_VTEST_CLASSES.includes(d.label)) {
        implausibleByClass[d.label] = (implausibleByClass[d.label] ?? 0) + 1;
        any = true;
      }
    }
    if (any) framesWithAny += 1;
  }
  const implausibleTotal = sum(Object.values(implausibleByClass));

  let persisted = 0;
  let later = 0;
  const changes: number[] = [];
  const changesHigh: number[] = [];
  for (let t = 1; t < runs.length; t += 1) {
    changes.push(Math.abs(opCounts[t] - opCounts[t - 1]));
    changesHigh.push(Math.abs(highCounts[t] - highCounts[t - 1]));
    persisted += centreMatchCount(
      boxes(opPersons[t]),
      boxes(opPersons[t - 1]),
      s.persistenceMaxShift,
    );
    later += opPersons[t].length;
  }

  const bins = histogram(
    lowPersons.flat().map((d) => d.score),
    SCORE_EDGES,
  );
  return {
    mode,
    personsPerFrame: {
      atHigh: countStats(highCounts),
      atOperating: countStats(opCounts),
      atLow: countStats(lowPersons.map((p) => p.length)),
    },
    meanPersonScore: r4(mean(opPersons.flat().map((d) => d.score))),
    lowThresholdPersonScores: {
      edges: SCORE_EDGES,
      perFrame: bins.map((count) => round(count / runs.length, 3)),
    },
    implausible: {
      total: implausibleTotal,
      perFrame: round(implausibleTotal / runs.length, 3),
      framesWithAny,
      byClass: implausibleByClass,
    },
    classCounts,
    temporal: {
      framePairs: changes.length,
      meanAbsCountChange: round(mean(changes), 3),
      meanAbsCountChangeAtHigh: round(mean(changesHigh), 3),
      persistence: r4(persisted / later),
    },
    timingsMs: {
      preprocess: timing(
        runs.map((r) => r.timings),
        'preprocess',
      ),
      infer: timing(
        runs.map((r) => r.timings),
        'infer',
      ),
      total: timing(
        runs.map((r) => r.timings),
        'total',
      ),
    },
  };
}

interface FramePairs {
  stretch: Detection[];
  letterbox: Detection[];
  matches: ReturnType<typeof greedyMatch>;
}

function crossModePairs(frames: readonly FrameRecord[], s: StudySettings): FramePairs[] {
  return frames.map((f) => {
    const stretch = persons(f.original.stretch.op, s.scoreThreshold);
    const letterbox = persons(f.original.letterbox.op, s.scoreThreshold);
    return {
      stretch,
      letterbox,
      matches: greedyMatch(boxes(stretch), boxes(letterbox), s.matchIou),
    };
  });
}

function crossMode(
  frames: readonly FrameRecord[],
  pairs: readonly FramePairs[],
  s: StudySettings,
  random: () => number,
): CrossMode {
  const matches = pairs.flatMap((p) =>
    p.matches.map((m) => ({
      iou: m.iou,
      stretch: p.stretch[m.a].score,
      letterbox: p.letterbox[m.b].score,
    })),
  );
  const unmatched = (mode: Mode): number[] =>
    pairs.flatMap((p) => {
      const used = new Set(p.matches.map((m) => (mode === 'stretch' ? m.a : m.b)));
      return p[mode].filter((_, i) => !used.has(i)).map((d) => d.score);
    });
  const stretchPersons = sum(pairs.map((p) => p.stretch.length));
  const letterboxPersons = sum(pairs.map((p) => p.letterbox.length));
  const differences = pairs.map((p) => p.letterbox.length - p.stretch.length);
  const implausible = frames.map(
    (f) =>
      f.original.letterbox.op.filter((d) => !PLAUSIBLE_VTEST_CLASSES.includes(d.label)).length -
      f.original.stretch.op.filter((d) => !PLAUSIBLE_VTEST_CLASSES.includes(d.label)).length,
  );
  const changes = pairs
    .slice(1)
    .map(
      (p, i) =>
        Math.abs(p.letterbox.length - pairs[i].letterbox.length) -
        Math.abs(p.stretch.length - pairs[i].stretch.length),
    );
  const options = { block: s.bootstrapBlock, resamples: s.bootstrapResamples, random };
  const meanOf =
    (values: readonly number[]) =>
    (idx: readonly number[]): number =>
      mean(idx.map((i) => values[i]));
  return {
    stretchPersons,
    letterboxPersons,
    matched: matches.length,
    matchedFractionOfStretch: r4(matches.length / stretchPersons),
    matchedFractionOfLetterbox: r4(matches.length / letterboxPersons),
    meanIou: r4(mean(matches.map((m) => m.iou))),
    meanScore: {
      stretch: r4(mean(matches.map((m) => m.stretch))),
      letterbox: r4(mean(matches.map((m) => m.letterbox))),
    },
    meanScoreDifference: r4(mean(matches.map((m) => m.letterbox - m.stretch))),
    letterboxScoreHigherFraction: r4(
      matches.filter((m) => m.letterbox > m.stretch).length / matches.length,
    ),
    unmatchedMeanScore: {
      stretch: r4(mean(unmatched('stretch'))),
      letterbox: r4(mean(unmatched('letterbox'))),
    },
    perFrameCountDifference: roundInterval(
      blockBootstrap(differences.length, meanOf(differences), options),
    ),
    frames: {
      letterboxMore: differences.filter((d) => d > 0).length,
      equal: differences.filter((d) => d === 0).length,
      stretchMore: differences.filter((d) => d < 0).length,
    },
    implausiblePerFrameDifference: roundInterval(
      blockBootstrap(implausible.length, meanOf(implausible), options),
    ),
    countChangeDifference: roundInterval(blockBootstrap(changes.length, meanOf(changes), options)),
  };
}

/** Per frame: matched and total counts, so pooled recalls can be bootstrapped over frames. */
interface RecallCounts {
  matched: number[];
  total: number[];
}
const pooled = (c: RecallCounts, idx: readonly number[]): number =>
  sum(idx.map((i) => c.matched[i])) / sum(idx.map((i) => c.total[i]));

function aspectResults(
  collected: Collected,
  pairs: readonly FramePairs[],
  s: StudySettings,
  input: { width: number; height: number },
  random: () => number,
): AspectResult[] {
  const { frames, frameSize } = collected;
  // People both modes found on the original frame: the box is the mean of the two.
  const consensus: Box[][] = pairs.map((p) =>
    p.matches.map((m) => {
      const a = p.stretch[m.a].box;
      const b = p.letterbox[m.b].box;
      return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2, (a[3] + b[3]) / 2] as const;
    }),
  );
  const bootstrap = (statistic: (idx: readonly number[]) => number): Interval =>
    roundInterval(
      blockBootstrap(frames.length, statistic, {
        block: s.bootstrapBlock,
        resamples: s.bootstrapResamples,
        random,
      }),
    );

  return s.variants.map((variant) => {
    const size = collected.variantSizes[variant.name];
    const self = {} as Record<Mode, RecallCounts>;
    const agreed = {} as Record<Mode, RecallCounts>;
    const perMode = {} as Record<Mode, AspectModeResult>;
    for (const mode of MODES) {
      self[mode] = { matched: [], total: [] };
      agreed[mode] = { matched: [], total: [] };
      let soft = 0;
      let unmatchedNew = 0;
      let inPadding = 0;
      let variantPersons = 0;
      const ious: number[] = [];
      const scoreChanges: number[] = [];
      frames.forEach((frame, i) => {
        const original = persons(frame.original[mode].op, s.scoreThreshold);
        const run = frame.variants[variant.name][mode];
        const atOp = persons(run.low, s.scoreThreshold);
        const atLow = persons(run.low, s.lowScoreThreshold);
        const matches = greedyMatch(boxes(original), boxes(atOp), s.matchIou);
        self[mode].matched.push(matches.length);
        self[mode].total.push(original.length);
        soft += greedyMatch(boxes(original), boxes(atLow), s.matchIou).length;
        unmatchedNew += atOp.length - matches.length;
        variantPersons += atOp.length;
        inPadding += run.inPadding;
        for (const m of matches) {
          ious.push(m.iou);
          scoreChanges.push(atOp[m.b].score - original[m.a].score);
        }
        agreed[mode].matched.push(greedyMatch(consensus[i], boxes(atOp), s.matchIou).length);
        agreed[mode].total.push(consensus[i].length);
      });
      const onVariant = planPreprocess(size.width, size.height, input.width, input.height, mode);
      const onOriginal = planPreprocess(
        frameSize.width,
        frameSize.height,
        input.width,
        input.height,
        mode,
      );
      const originalPersons = sum(self[mode].total);
      perMode[mode] = {
        scale: {
          x: r4(onVariant.scaleX),
          y: r4(onVariant.scaleY),
          originalX: r4(onOriginal.scaleX),
          originalY: r4(onOriginal.scaleY),
        },
        personsPerFrame: round(variantPersons / frames.length, 3),
        originalPersonsPerFrame: round(originalPersons / frames.length, 3),
        selfRecall: bootstrap((idx) => pooled(self[mode], idx)),
        softRecall: r4(soft / originalPersons),
        meanIouOfMatches: r4(mean(ious)),
        meanScoreChange: r4(mean(scoreChanges)),
        unmatchedNewPerFrame: round(unmatchedNew / frames.length, 3),
        consensusRecall: bootstrap((idx) => pooled(agreed[mode], idx)),
        detectionsInPadding: inPadding,
        timingsMs: {
          preprocess: timing(
            frames.map((f) => f.variants[variant.name][mode].timings),
            'preprocess',
          ),
        },
      };
    }
    return {
      variant: variant.name,
      size,
      consensusPeople: sum(agreed.stretch.total),
      perMode,
      consensusRecallDifference: bootstrap(
        (idx) => pooled(agreed.letterbox, idx) - pooled(agreed.stretch, idx),
      ),
      selfRecallDifference: bootstrap(
        (idx) => pooled(self.letterbox, idx) - pooled(self.stretch, idx),
      ),
    };
  });
}

function stillResults(collected: Collected, s: StudySettings): StillResult[] {
  return collected.stills.map((still) => {
    const perMode = {} as StillResult['perMode'];
    for (const mode of MODES) {
      const op = still.runs[mode].op;
      const people = persons(op, s.scoreThreshold);
      perMode[mode] = {
        persons: people.length,
        topPersonScore: people.length ? Math.max(...people.map((d) => d.score)) : 0,
        detections: op.map((d) => ({ label: d.label, score: d.score })),
      };
    }
    const stretch = still.runs.stretch.op;
    const letterbox = still.runs.letterbox.op;
    const ious: number[] = [];
    for (const label of new Set([...stretch, ...letterbox].map((d) => d.label))) {
      const a = stretch.filter((d) => d.label === label);
      const b = letterbox.filter((d) => d.label === label);
      for (const m of greedyMatch(boxes(a), boxes(b), s.matchIou)) ious.push(m.iou);
    }
    return {
      image: still.name,
      width: still.width,
      height: still.height,
      perMode,
      agreement: {
        stretch: stretch.length,
        letterbox: letterbox.length,
        matched: ious.length,
        meanIou: r4(mean(ious)),
      },
    };
  });
}

export function analyse(
  collected: Collected,
  s: StudySettings,
  input: { width: number; height: number },
): Analysis {
  const random = seededRandom(s.seed + 1);
  const { frames } = collected;
  const pairs = crossModePairs(frames, s);
  const personCounts: Analysis['personCounts'] = { original: { stretch: [], letterbox: [] } };
  for (const mode of MODES)
    personCounts.original[mode] = frames.map(
      (f) => persons(f.original[mode].op, s.scoreThreshold).length,
    );
  for (const variant of s.variants) {
    personCounts[variant.name] = { stretch: [], letterbox: [] };
    for (const mode of MODES)
      personCounts[variant.name][mode] = frames.map(
        (f) => persons(f.variants[variant.name][mode].low, s.scoreThreshold).length,
      );
  }
  return {
    frames: frames.length,
    frameIndices: frames.map((f) => f.index),
    perMode: {
      stretch: modeSummary(frames, 'stretch', s),
      letterbox: modeSummary(frames, 'letterbox', s),
    },
    crossMode: crossMode(frames, pairs, s, random),
    aspect: aspectResults(collected, pairs, s, input, random),
    stills: stillResults(collected, s),
    personCounts,
  };
}
