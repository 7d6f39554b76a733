import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { MachineInfo } from '../lib/machine-info';
import type { Analysis, AspectResult } from './analysis';
import { MODES, RESULTS_DIR, type Mode, type StudySettings } from './settings';
import type { Interval } from './stats';

export interface Recommendation {
  /** The default the gateway should configure for NanoDet (`vision.resize`). */
  default: Mode;
  verdict: 'letterbox better' | 'stretch better' | 'no measurable difference' | 'mixed';
  /** Per aspect variant: the mode whose consensus recall is higher with the 95% CI excluding 0. */
  aspectWinners: Record<string, Mode | 'tie'>;
  reasons: string[];
}

export interface Report {
  benchmark: 'resize-mode';
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  versions: { onnxruntimeNode: string; sharp: string; libvips: string; ffmpeg: string };
  settings: StudySettings & {
    model: string;
    input: { width: number; height: number };
    configuredResizeMode: string;
    video: string;
    frameSize: { width: number; height: number };
    variantSizes: Record<string, { width: number; height: number }>;
    plausibleVtestClasses: string[];
    stills: string[];
  };
  durationSeconds: number;
  detectCalls: number;
  checks: { thresholdIdentityMismatches: string[]; thresholdTies: number };
  analysis: Analysis;
  recommendation: Recommendation;
  figure?: { file: string; frame: number; variant: string };
}

const fixed = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : '–';
const pct = (value: number, digits = 1): string =>
  Number.isFinite(value) ? `${(value * 100).toFixed(digits)} %` : '–';
const signed = (value: number, digits = 2): string =>
  `${value >= 0 ? '+' : ''}${fixed(value, digits)}`;
const ci = (i: Interval, format: (v: number) => string): string =>
  `${format(i.estimate)} [${format(i.low)}, ${format(i.high)}]`;
const signedPct = (value: number): string =>
  `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} pp`;

function winner(interval: Interval): Mode | 'tie' {
  if (interval.low > 0) return 'letterbox';
  if (interval.high < 0) return 'stretch';
  return 'tie';
}

/**
 * A decision rule fixed before looking at the numbers: the aspect-ratio test decides (it is the
 * only measure here with a known right answer, "find the same people again"), judged on the
 * consensus recall so both modes face the same reference. A mode wins when it wins at least one
 * variant and loses none; otherwise there is no measurable difference and the default stays
 * `stretch`, the preprocessing the model was converted and verified with.
 */
export function recommend(analysis: Analysis, settings: StudySettings): Recommendation {
  const aspectWinners: Record<string, Mode | 'tie'> = {};
  for (const a of analysis.aspect) aspectWinners[a.variant] = winner(a.consensusRecallDifference);
  const wins = (mode: Mode): number =>
    Object.values(aspectWinners).filter((w) => w === mode).length;
  const letterboxWins = wins('letterbox');
  const stretchWins = wins('stretch');
  let verdict: Recommendation['verdict'];
  if (letterboxWins > 0 && stretchWins === 0) verdict = 'letterbox better';
  else if (stretchWins > 0 && letterboxWins === 0) verdict = 'stretch better';
  else if (stretchWins > 0 && letterboxWins > 0) verdict = 'mixed';
  else verdict = 'no measurable difference';
  const chosen: Mode = verdict === 'letterbox better' ? 'letterbox' : 'stretch';

  const { crossMode, perMode } = analysis;
  const reasons = analysis.aspect.map((a) => {
    const s = a.perMode.stretch.consensusRecall.estimate;
    const l = a.perMode.letterbox.consensusRecall.estimate;
    return (
      `${a.variant} padding: consensus recall stretch ${pct(s)}, letterbox ${pct(l)}; ` +
      `letterbox − stretch ${ci(a.consensusRecallDifference, signedPct)} → ${aspectWinners[a.variant]}`
    );
  });
  reasons.push(
    `Original 4:3 frames: ${fixed(perMode.stretch.personsPerFrame.atOperating.mean)} (stretch) vs ` +
      `${fixed(perMode.letterbox.personsPerFrame.atOperating.mean)} (letterbox) persons per frame at ` +
      `score ≥ ${settings.scoreThreshold}; letterbox − stretch ${ci(crossMode.perFrameCountDifference, (v) => signed(v))}; ` +
      `${pct(crossMode.matchedFractionOfStretch)} of stretch's people are found by letterbox and ` +
      `${pct(crossMode.matchedFractionOfLetterbox)} of letterbox's by stretch (mean IoU ` +
      `${fixed(crossMode.meanIou, 3)}, mean score difference ${signed(crossMode.meanScoreDifference, 3)}).`,
  );
  reasons.push(
    `Supporting, not decisive: implausible-class detections per frame ` +
      `${fixed(perMode.stretch.implausible.perFrame, 3)} (stretch) vs ${fixed(perMode.letterbox.implausible.perFrame, 3)} ` +
      `(letterbox), difference ${ci(crossMode.implausiblePerFrameDifference, (v) => signed(v, 3))}; mean frame-to-frame ` +
      `change in person count ${fixed(perMode.stretch.temporal.meanAbsCountChange)} vs ` +
      `${fixed(perMode.letterbox.temporal.meanAbsCountChange)}, difference ${ci(crossMode.countChangeDifference, (v) => signed(v))}.`,
  );
  const stretchKeepsMore = analysis.aspect.filter(
    (a) => a.perMode.stretch.softRecall > a.perMode.letterbox.softRecall,
  );
  for (const a of stretchKeepsMore) {
    reasons.push(
      `Counterpoint on ${a.variant}: at score ≥ ${settings.lowScoreThreshold} stretch still has a box on ` +
        `${pct(a.perMode.stretch.softRecall)} of its original people and letterbox on ` +
        `${pct(a.perMode.letterbox.softRecall)}: stretch's losses there are mostly people scored below the ` +
        `threshold, letterbox's are people lost as the uniform scale drops to ` +
        `${fixed(a.perMode.letterbox.scale.x, 3)}.`,
    );
  }
  return { default: chosen, verdict, aspectWinners, reasons };
}

export function writeReport(report: Report): { json: string; markdown: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = resolve(RESULTS_DIR, 'resize-mode.json');
  const markdown = resolve(RESULTS_DIR, 'resize-mode.md');
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, renderMarkdown(report));
  return { json, markdown };
}

const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;

function originalTable(report: Report): string[] {
  const { settings, analysis } = report;
  const m = analysis.perMode;
  const line = (label: string, value: (mode: Mode) => string): string =>
    row([label, ...MODES.map(value)]);
  const classes = (mode: Mode): string =>
    Object.entries(m[mode].implausible.byClass)
      .sort((a, b) => b[1] - a[1])
      .map(([label, count]) => `${label} ${count}`)
      .join(', ') || 'none';
  return [
    `| measure (${analysis.frames} frames) | stretch | letterbox |`,
    '|---|--:|--:|',
    line(
      `persons/frame at score ≥ ${settings.highScoreThreshold}: mean (median)`,
      (k) => `${fixed(m[k].personsPerFrame.atHigh.mean)} (${m[k].personsPerFrame.atHigh.median})`,
    ),
    line(
      `persons/frame at score ≥ ${settings.scoreThreshold}: mean (median)`,
      (k) =>
        `${fixed(m[k].personsPerFrame.atOperating.mean)} (${m[k].personsPerFrame.atOperating.median})`,
    ),
    line(
      `persons/frame at score ≥ ${settings.lowScoreThreshold}: mean (median)`,
      (k) => `${fixed(m[k].personsPerFrame.atLow.mean)} (${m[k].personsPerFrame.atLow.median})`,
    ),
    line(`mean score of persons at ≥ ${settings.scoreThreshold}`, (k) =>
      fixed(m[k].meanPersonScore, 3),
    ),
    line('mean score of the people both modes found', (k) =>
      fixed(analysis.crossMode.meanScore[k], 3),
    ),
    line('implausible-class detections per frame', (k) => fixed(m[k].implausible.perFrame, 3)),
    line('frames with an implausible class', (k) => String(m[k].implausible.framesWithAny)),
    line('implausible classes (count)', classes),
    line('mean abs. change in person count between consecutive frames (≥ 0.35)', (k) =>
      fixed(m[k].temporal.meanAbsCountChange),
    ),
    line(`the same at ≥ ${settings.highScoreThreshold}`, (k) =>
      fixed(m[k].temporal.meanAbsCountChangeAtHigh),
    ),
    line(
      `persons with a partner in the previous frame (centre shift ≤ ${settings.persistenceMaxShift} × height)`,
      (k) => pct(m[k].temporal.persistence),
    ),
  ];
}

function crossModeTable(report: Report): string[] {
  const c = report.analysis.crossMode;
  return [
    '| measure | value |',
    '|---|--:|',
    row(['person detections (stretch / letterbox)', `${c.stretchPersons} / ${c.letterboxPersons}`]),
    row(['matched pairs (IoU ≥ 0.5, greedy)', c.matched]),
    row([
      "fraction of stretch's people that letterbox also finds",
      pct(c.matchedFractionOfStretch),
    ]),
    row([
      "fraction of letterbox's people that stretch also finds",
      pct(c.matchedFractionOfLetterbox),
    ]),
    row(['mean IoU of matched pairs', fixed(c.meanIou, 3)]),
    row([
      'mean score on matched pairs (stretch / letterbox)',
      `${fixed(c.meanScore.stretch, 3)} / ${fixed(c.meanScore.letterbox, 3)}`,
    ]),
    row(['mean score difference, letterbox − stretch', signed(c.meanScoreDifference, 3)]),
    row(['pairs where letterbox scores higher', pct(c.letterboxScoreHigherFraction)]),
    row([
      'mean score of unmatched detections (stretch / letterbox)',
      `${fixed(c.unmatchedMeanScore.stretch, 3)} / ${fixed(c.unmatchedMeanScore.letterbox, 3)}`,
    ]),
    row([
      'persons per frame, letterbox − stretch [95 % CI]',
      ci(c.perFrameCountDifference, (v) => signed(v)),
    ]),
    row([
      'frames where letterbox / neither / stretch finds more',
      `${c.frames.letterboxMore} / ${c.frames.equal} / ${c.frames.stretchMore}`,
    ]),
    row([
      'implausible-class detections per frame, letterbox − stretch [95 % CI]',
      ci(c.implausiblePerFrameDifference, (v) => signed(v, 3)),
    ]),
    row([
      'frame-to-frame abs. change in person count, letterbox − stretch [95 % CI]',
      ci(c.countChangeDifference, (v) => signed(v)),
    ]),
  ];
}

function aspectTable(aspect: readonly AspectResult[]): string[] {
  const lines = [
    '| variant | mode | model-input scale x × y (original) | persons/frame (original) | self-recall [95 % CI] | soft recall (≥ 0.1) | mean IoU | score change | new/frame | consensus recall [95 % CI] | in padding |',
    '|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const a of aspect) {
    for (const mode of MODES) {
      const r = a.perMode[mode];
      lines.push(
        row([
          `${a.variant} (${a.size.width}×${a.size.height})`,
          mode,
          `${fixed(r.scale.x, 3)} × ${fixed(r.scale.y, 3)} (${fixed(r.scale.originalX, 3)} × ${fixed(r.scale.originalY, 3)})`,
          `${fixed(r.personsPerFrame)} (${fixed(r.originalPersonsPerFrame)})`,
          ci(r.selfRecall, (v) => pct(v)),
          pct(r.softRecall),
          fixed(r.meanIouOfMatches, 3),
          signed(r.meanScoreChange, 3),
          fixed(r.unmatchedNewPerFrame),
          ci(r.consensusRecall, (v) => pct(v)),
          r.detectionsInPadding,
        ]),
      );
    }
  }
  lines.push('');
  lines.push(
    '| variant | consensus people | consensus recall, letterbox − stretch [95 % CI] | self-recall, letterbox − stretch [95 % CI] |',
  );
  lines.push('|---|--:|--:|--:|');
  for (const a of aspect)
    lines.push(
      row([
        a.variant,
        a.consensusPeople,
        ci(a.consensusRecallDifference, signedPct),
        ci(a.selfRecallDifference, signedPct),
      ]),
    );
  return lines;
}

function timingTable(report: Report): string[] {
  const { analysis, settings } = report;
  const lines = [
    '| images | stretch p50 ms (mean) | letterbox p50 ms (mean) | letterbox / stretch (p50) |',
    '|---|--:|--:|--:|',
  ];
  const add = (
    label: string,
    s: { p50Ms: number; meanMs: number },
    l: { p50Ms: number; meanMs: number },
  ): void => {
    lines.push(
      row([
        label,
        `${fixed(s.p50Ms)} (${fixed(s.meanMs)})`,
        `${fixed(l.p50Ms)} (${fixed(l.meanMs)})`,
        `${fixed(l.p50Ms / s.p50Ms)}×`,
      ]),
    );
  };
  add(
    `original ${settings.frameSize.width}×${settings.frameSize.height} PNG frames: preprocess`,
    analysis.perMode.stretch.timingsMs.preprocess,
    analysis.perMode.letterbox.timingsMs.preprocess,
  );
  for (const a of analysis.aspect)
    add(
      `${a.variant} padded (${a.size.width}×${a.size.height}): preprocess`,
      a.perMode.stretch.timingsMs.preprocess,
      a.perMode.letterbox.timingsMs.preprocess,
    );
  add(
    'original frames: infer (context)',
    analysis.perMode.stretch.timingsMs.infer,
    analysis.perMode.letterbox.timingsMs.infer,
  );
  add(
    'original frames: whole detect (context)',
    analysis.perMode.stretch.timingsMs.total,
    analysis.perMode.letterbox.timingsMs.total,
  );
  return lines;
}

function scoreTable(report: Report): string[] {
  const m = report.analysis.perMode;
  const edges = m.stretch.lowThresholdPersonScores.edges;
  const header = edges.slice(0, -1).map((edge, i) => `${edge}–${edges[i + 1]}`);
  return [
    `| mode | ${header.join(' | ')} |`,
    `|---|${header.map(() => '--:').join('|')}|`,
    ...MODES.map((mode) =>
      row([mode, ...m[mode].lowThresholdPersonScores.perFrame.map((v) => fixed(v))]),
    ),
  ];
}

function stillTable(report: Report): string[] {
  const describe = (detections: { label: string; score: number }[]): string =>
    detections
      .slice(0, 6)
      .map((d) => `${d.label} ${d.score.toFixed(2)}`)
      .join(', ') + (detections.length > 6 ? `, … (${detections.length})` : '') || 'none';
  return [
    '| image | size | stretch: detections ≥ 0.35 | letterbox: detections ≥ 0.35 | matched (same class, IoU ≥ 0.5) | mean IoU |',
    '|---|---|---|---|--:|--:|',
    ...report.analysis.stills.map((s) =>
      row([
        s.image,
        `${s.width}×${s.height}`,
        describe(s.perMode.stretch.detections),
        describe(s.perMode.letterbox.detections),
        `${s.agreement.matched} of ${s.agreement.stretch} / ${s.agreement.letterbox}`,
        fixed(s.agreement.meanIou, 3),
      ]),
    ),
  ];
}

function renderMarkdown(report: Report): string {
  const { machine, settings, analysis } = report;
  const mismatches = report.checks.thresholdIdentityMismatches;
  const lines = [
    '# Resize mode for NanoDet: stretch vs letterbox',
    '',
    "Should the detect API fit images into NanoDet-m's 416×416 input by plain resizing (**stretch**, " +
      'the aspect ratio changes) or by **letterbox** (uniform scale, black padding)?',
    '',
    '> **This is a proxy study.** There is no labelled ground truth on this machine, so nothing here ' +
      'is an accuracy (mAP, recall against labels). The measures are label-free stand-ins: how many ' +
      'people each mode finds in a clip known to show people walking, how much the two modes agree, ' +
      'how steady the counts are from frame to frame, how many detections are of classes that ' +
      'cannot be in the scene, and, the one measure with a known right answer, whether a mode finds ' +
      'the same people again when the same pixels arrive in an image of a different aspect ratio.',
    '',
    '## Recommendation',
    '',
    ...recommendationText(report),
    '',
    '## What ran',
    '',
    `- **Detector**: the gateway's own \`DetectPipeline\` in-process (decode, sharp resize in the requested ` +
      `mode, the tensor request path, the embedded ONNX Runtime backend, GFL decode, class-aware NMS, boxes ` +
      `mapped back to source pixels), built with \`new\` as in \`detect-overhead\`; the mode is passed per ` +
      `request as \`?resize=\` would pass it. Model \`${settings.model}\` ${settings.input.width}×${settings.input.height}, ` +
      `configured default \`vision.resize: ${settings.configuredResizeMode}\`.`,
    `- **Operating point**: score ≥ ${settings.scoreThreshold}, NMS IoU ${settings.iouThreshold}, at most ` +
      `${settings.maxDetections} detections (the gateway defaults). Every image also ran at score ≥ ` +
      `${settings.lowScoreThreshold} (at most ${settings.lowMaxDetections}) for the score distribution and near-misses.`,
    `- **Video**: ${analysis.frames} frames of \`vtest.avi\` (${settings.frameSize.width}×${settings.frameSize.height}, 10 fps): every ` +
      `${settings.frameStep}th frame (${settings.frameStep / 10} s apart), decoded by ffmpeg ${report.versions.ffmpeg} to lossless PNG.`,
    `- **Aspect variants**: each frame centred on a uniform grey (${settings.padGrey}) canvas of aspect ` +
      `${settings.variants.map((v) => `${v.name} (${settings.variantSizes[v.name]?.width}×${settings.variantSizes[v.name]?.height})`).join(', ')}: ` +
      'no pixel of the frame is cropped or rescaled, so every person stays fully visible and the right ' +
      'answer is known: the same people, in the same place. Boxes found on the padded image are shifted ' +
      'back into frame coordinates. Their operating-point answer is the low-threshold answer filtered at ' +
      `${settings.scoreThreshold}, which is exact (NMS only suppresses a box for a higher-scoring one; checked on every ` +
      `original frame and still: ${mismatches.length === 0 ? 'identical in all cases' : `**${mismatches.length} mismatches**`}, ` +
      `apart from ${report.checks.thresholdTies} detections the API reports with a score of exactly ${settings.scoreThreshold}: ` +
      'it rounds scores to 4 decimals, so these may lie just below the threshold; the filtered sets keep them).',
    `- **Stills**: ${settings.stills.join(', ')}.`,
    `- **Order**: for each frame the two modes ran in a seeded random order (seed ${settings.seed}), so drift of the ` +
      'shared machine favours neither. Intervals are 95 % moving-block bootstrap intervals over frames ' +
      `(blocks of ${settings.bootstrapBlock} consecutive sampled frames, ${settings.bootstrapResamples} resamples, nearest-rank), because consecutive frames show the same people.`,
    `- **Implausible classes** (vtest): anything other than ${settings.plausibleVtestClasses.join(', ')} at score ≥ ` +
      `${settings.scoreThreshold}, a list fixed before the run by looking at the clip: a campus road and lawn seen from above, pedestrians (some with bags), a parked van and car, cones, signs and a tripod; no animals, furniture, food or sports gear.`,
    `- ${report.detectCalls} detect calls in ${report.durationSeconds} s. Machine: ${machine.cpuModel}, ${machine.cores} cores, ` +
      `Node ${machine.node}, onnxruntime-node ${report.versions.onnxruntimeNode} (${settings.ortIntraOpThreads} intra-op thread), ` +
      `sharp ${report.versions.sharp} (libvips ${report.versions.libvips}); commit ${machine.gitCommit.slice(0, 12)}` +
      `${machine.gitDirty ? ' + uncommitted changes' : ''}; ${machine.date}; load average ` +
      `${machine.loadAverageAtStart.join(' / ')} at start, ${report.loadAverageAtEnd.join(' / ')} at end.`,
    '',
    '## 1. Aspect-ratio robustness (the decisive test)',
    '',
    '**Self-recall**: of the people a mode finds on the original frame (score ≥ 0.35), the fraction it ' +
      'finds again on the padded frame (score ≥ 0.35, IoU ≥ 0.5 after mapping back). **Soft recall**: the ' +
      'same, but found at score ≥ 0.1 (the box is still there, maybe scored lower). **Consensus recall**: ' +
      'the reference is the people *both* modes found on the original frame (the mean of the two boxes), ' +
      'the same for both modes, so a mode that found fewer people to begin with gets no easier task. ' +
      '**Score change**: mean (padded − original) score of the matched people. **New/frame**: persons ' +
      'on the padded frame with no partner on the original. **In padding**: detections of any class ' +
      'wholly inside the grey padding (all false).',
    '',
    ...aspectTable(analysis.aspect),
    '',
    'The model-input scale column is the cause: padding the frame to a wider (or taller) canvas makes ' +
      'letterbox shrink *both* axes to fit the longer side, while stretch keeps the full input ' +
      'resolution along the short side and squeezes only the long one.',
    '',
    '## 2. The original 4:3 frames',
    '',
    'On the unmodified 768×576 frames stretch distorts little (4:3 → 1:1, people look 1.33× narrower ' +
      'to the model). Stability: the mean absolute change in the person count between consecutive ' +
      'sampled frames (0.4 s apart; the people in the scene change slowly, so lower is steadier), and ' +
      'the fraction of persons with a partner in the previous frame (box centres at most ' +
      `${settings.persistenceMaxShift} × the box height apart, heights within 1.5×: walking people move about a box width in 0.4 s, too far for IoU).`,
    '',
    ...originalTable(report),
    '',
    '### Agreement between the modes (persons, score ≥ 0.35)',
    '',
    ...crossModeTable(report),
    '',
    `### Person score distribution at score ≥ ${settings.lowScoreThreshold} (mean detections per frame in each score bin)`,
    '',
    ...scoreTable(report),
    '',
    '## 3. Stills (one image each: anecdotes, not statistics)',
    '',
    ...stillTable(report),
    '',
    '## 4. Preprocessing time',
    '',
    'The `preprocess` stage of the pipeline (PNG decode, resize, padding for letterbox, conversion to ' +
      'NCHW float32), per mode, on the same images in the same run; infer and the whole detect for context.',
    '',
    ...timingTable(report),
    '',
    ...(report.figure
      ? [
          '## Figure',
          '',
          `![frame ${report.figure.frame} padded to ${report.figure.variant}, both modes](${report.figure.file})`,
          '',
          `\`${report.figure.file}\`: vtest frame ${report.figure.frame} (the middle frame of the sample, not hand-picked) padded to ` +
            `${report.figure.variant}. Left: the padded frame with the persons each mode finds on it (green) and the persons the same ` +
            'mode finds on the unpadded frame (dashed white). Right: the 416×416 input the mode feeds the model.',
          '',
        ]
      : []),
    '## Caveats',
    '',
    '- A proxy, not an accuracy: more detections are not necessarily better (they may be false), and ' +
      'agreement between modes is not correctness. The aspect test has a known answer only relative ' +
      'to what the mode found on the original frame, itself unlabelled.',
    '- Padding adds empty canvas, so an image of another aspect ratio here carries the same people at ' +
      'the same pixel size. A real wide camera fills the whole frame with scene; the comparison of how ' +
      'each mode spends its 416×416 pixels still holds, but the people in it may be larger or smaller.',
    '- One clip (one fixed camera, small people, 4:3) and six stills. Other scenes, people sizes and ' +
      'aspect ratios may differ. Consecutive frames are correlated: the bootstrap uses blocks for ' +
      'that reason, but 200 frames of one scene are far fewer independent samples than 200.',
    '- The model is the TF.js export of NanoDet-m, converted and verified with stretch preprocessing ' +
      '(docs/model-cards/nanodet.md). The letterbox here pads with black; upstream training ' +
      'augmentation and padding colour are not known from the package.',
    '- Times are from a shared 2-core machine; only the ratio between the modes in this run is meaningful.',
    '',
  ];
  return lines.join('\n');
}

function recommendationText(report: Report): string[] {
  const r = report.recommendation;
  const headline =
    r.verdict === 'letterbox better'
      ? `**Use \`letterbox\` as the default for NanoDet** (\`vision.resize: letterbox\` in \`triton-models/nanodet/config.pbtxt\`; clients can still ask for \`?resize=stretch\`). It finds more of the same people again when the image aspect ratio changes, on every aspect ratio tried (decision rule and numbers below).`
      : r.verdict === 'stretch better'
        ? `**Keep \`stretch\` as the default for NanoDet.** It keeps more of its detections when the image aspect ratio changes (decision rule below).`
        : r.verdict === 'mixed'
          ? '**Mixed result: each mode wins on some aspect ratios.** Keep `stretch` (the validated preprocessing) as the default and let clients choose per request.'
          : '**No measurable difference** on the aspect test. Keep `stretch` (the preprocessing the model was converted and verified with) as the default.';
  return [
    headline,
    '',
    ...r.reasons.map((reason) => `- ${reason}`),
    '',
    'Decision rule (fixed in `report.ts` before the run): the aspect-ratio test decides, on the ' +
      'consensus recall (the same reference for both modes); a mode wins a variant when the 95 % ' +
      'interval of the difference excludes zero, and is recommended when it wins at least one variant ' +
      'and loses none. Otherwise the default stays `stretch`.',
  ];
}
