import { basename } from 'node:path';
import { round } from '../lib/latency-stats';

/** The parts of a V8 `.cpuprofile` (node --cpu-prof) a summary needs. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

export interface FrameCost {
  /** `function (file:line)`, or V8's own `(garbage collector)`, `(program)`, `(idle)`. */
  frame: string;
  selfMs: number;
  /** Share of the busy (non-idle) samples. */
  percent: number;
}

export interface ProfileSummary {
  sampledMs: number;
  busyMs: number;
  top: FrameCost[];
  /** Self time by where the code lives: node internals, grpc-js, protobuf-es, fastify, the gateway… */
  byArea: FrameCost[];
}

/**
 * Self time per frame (functions with the same name and place summed), busiest first; with
 * `window`, only the samples taken from `fromMs` to `toMs` after the profile started (start-up and
 * shutdown left out).
 */
export function summarizeProfile(
  profile: CpuProfile,
  topN = 25,
  window?: { fromMs: number; toMs: number },
): ProfileSummary {
  const frameOf = new Map<number, { frame: string; area: string }>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const frame = url
      ? `${functionName || '(anonymous)'} (${basename(url)}:${lineNumber + 1})`
      : functionName;
    frameOf.set(node.id, { frame, area: areaOf(url, functionName) });
  }
  const byFrame = new Map<string, number>();
  const byArea = new Map<string, number>();
  let sampledUs = 0;
  let idleUs = 0;
  let elapsedUs = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    elapsedUs += delta;
    if (window && (elapsedUs < window.fromMs * 1000 || elapsedUs > window.toMs * 1000)) return;
    const { frame, area } = frameOf.get(id) ?? { frame: '(unknown)', area: '(unknown)' };
    sampledUs += delta;
    if (frame === '(idle)') {
      idleUs += delta;
      return;
    }
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + delta);
    byArea.set(area, (byArea.get(area) ?? 0) + delta);
  });
  const busyUs = sampledUs - idleUs;
  const ranked = (costs: Map<string, number>, limit: number): FrameCost[] =>
    [...costs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([frame, us]) => ({
        frame,
        selfMs: round(us / 1000, 1),
        percent: round((100 * us) / busyUs, 1),
      }));
  return {
    sampledMs: round(sampledUs / 1000, 0),
    busyMs: round(busyUs / 1000, 0),
    top: ranked(byFrame, topN),
    byArea: ranked(byArea, 20),
  };
}

/** The summary as two markdown tables: self time by frame, then by area. */
export function profileTables(summary: ProfileSummary): string[] {
  const rows = (costs: FrameCost[]) =>
    costs.map((cost) => `| ${cost.selfMs} | ${cost.percent} | ${cost.frame} |`);
  return [
    '| self ms | % of busy | frame |',
    '| ---: | ---: | --- |',
    ...rows(summary.top),
    '',
    '| self ms | % of busy | area |',
    '| ---: | ---: | --- |',
    ...rows(summary.byArea),
  ];
}

function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inPackage) return inPackage[1];
  if (url.startsWith('node:')) return 'node internals';
  const inApp = /\/(gateway|control-plane)\/src\/([^/]+)/.exec(url);
  if (inApp) return `${inApp[1]}/${inApp[2]}`;
  const inLib = /\/libs\/([^/]+)\/src\//.exec(url);
  if (inLib) return `libs/${inLib[1]}`;
  return basename(url);
}
