/**
 * `npm run bench:overload`: offers the gateway about 10× the detect load it can serve, for a bounded
 * time, and reports what admission control makes of it: offered vs admitted, the shed fraction per
 * priority, the admitted requests' latency, and the gateway's RSS over time. Writes
 * load-tests/results/overload.{json,md,png}. See load-tests/overload/README.md.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGatewayProcess } from '../detect-overhead/gateway-process';
import { loadImages } from '../detect-overhead/images';
import { runClosedLoop } from '../lib/closed-loop';
import { round, summarize } from '../lib/latency-stats';
import { machineInfo } from '../lib/machine-info';
import { runOpenLoop } from '../lib/open-loop';
import { cpuSeconds, memory, seededRandom } from '@test-support';
import { BENCH_API_KEY, benchAuthHeaders } from '../lib/bench-credentials';
import { perSecond, summarizePriority, type Sample } from './analysis';
import { detectClient, type Priority } from './detect-client';
import { runBreakerPhase, type BreakerPhaseSettings } from './breaker-phase';
import { renderOverloadReport, type OverloadResults } from './report';

const RESULTS_DIR = resolve(__dirname, '../results');
const MODEL = 'nanodet';

const settings = {
  overloadFactor: Number(process.env.BENCH_OVERLOAD_FACTOR ?? 10),
  durationS: Number(process.env.BENCH_OVERLOAD_S ?? 20),
  realtimeShare: 0.25,
  /** Every request carries this deadline (X-Request-Timeout). */
  deadlineMs: 1000,
  /** Unanswered this long = hung: the outcome that must never happen. */
  hungAfterMs: 15_000,
  capacityConcurrency: 4,
  capacityWindowMs: 6000,
  /** One request at a time: the latency an admitted call is held to (the design target's base). */
  unloadedWindowMs: 5000,
  seed: 20261121,
  ortIntraOpThreads: 1,
  /** Gateway settings on top of its defaults (`BENCH_GATEWAY_ENV`, a JSON object). */
  gatewayEnv: process.env.BENCH_GATEWAY_ENV
    ? (JSON.parse(process.env.BENCH_GATEWAY_ENV) as Record<string, string>)
    : {},
  /** `BENCH_BREAKER=0` skips the phase with a real Triton killed and restarted. */
  breakerPhase: process.env.BENCH_BREAKER !== '0',
};

/** The gateway's own defaults for breakers and health checks: the phase reports what users get. */
const breakerSettings: BreakerPhaseSettings = {
  workers: 4,
  steadyS: 4,
  outageS: 6,
  deadlineMs: 1000,
  hungAfterMs: 15_000,
  pollMs: 10,
  gatewayEnv: {},
};

async function main(): Promise<void> {
  const results = await overloadPhase();
  if (settings.breakerPhase) {
    console.log('breaker phase: real Triton killed and restarted under load …');
    results.breaker = await runBreakerPhase(breakerSettings, loadImages());
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'overload.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, 'overload.md'), renderOverloadReport(results, RESULTS_DIR));
  console.log('wrote load-tests/results/overload.{json,md,png}');
}

async function overloadPhase(): Promise<OverloadResults> {
  const machine = machineInfo();
  const images = loadImages();
  const gateway = await startGatewayProcess(settings.ortIntraOpThreads, {
    GATEWAY_BOOTSTRAP_API_KEY: BENCH_API_KEY,
    ...settings.gatewayEnv,
  });
  const client = detectClient(
    gateway.httpUrl,
    MODEL,
    benchAuthHeaders(),
    settings.deadlineMs,
    settings.hungAfterMs,
  );
  try {
    console.log('measuring capacity (closed loop) …');
    const capacityRun = await runClosedLoop({
      concurrency: settings.capacityConcurrency,
      warmupMs: 2000,
      measureMs: settings.capacityWindowMs,
      send: async (sequence) => {
        const outcome = await client.detect(images[sequence % images.length], 'bulk');
        if (outcome !== 200) throw new Error(`capacity probe answered ${outcome}`);
      },
    });
    const capacity = capacityRun.completedInWindow / (capacityRun.windowMs / 1000);
    console.log('measuring unloaded latency (closed loop, c=1) …');
    const unloadedRun = await runClosedLoop({
      concurrency: 1,
      warmupMs: 1000,
      measureMs: settings.unloadedWindowMs,
      send: async (sequence) => {
        const outcome = await client.detect(images[sequence % images.length], 'realtime');
        if (outcome !== 200) throw new Error(`unloaded probe answered ${outcome}`);
      },
    });
    const unloaded = summarize(unloadedRun.latenciesMs);
    const unloadedTimings = client.answeredTimings.slice(-unloadedRun.latenciesMs.length);
    const rate = capacity * settings.overloadFactor;
    console.log(`capacity ${round(capacity, 1)} img/s; offering ${round(rate, 1)} req/s …`);

    const rss: { tS: number; rssMiB: number }[] = [];
    const started = performance.now();
    const sampleRss = (): void => {
      rss.push({
        tS: round((performance.now() - started) / 1000, 2),
        rssMiB: round(memory(gateway.pid).rssMiB, 1),
      });
    };
    sampleRss();
    const sampler = setInterval(sampleRss, 250);
    const answeredBefore = client.answeredTimings.length;
    const cpuAtStart = { gateway: cpuSeconds(gateway.pid), bench: cpuSeconds(process.pid) };
    const pick = seededRandom(settings.seed + 1);
    const priorities = new Map<number, Priority>();
    const raw = await runOpenLoop({
      ratePerSecond: rate,
      durationMs: settings.durationS * 1000,
      seed: settings.seed,
      send: (sequence) => {
        const priority: Priority = pick() < settings.realtimeShare ? 'realtime' : 'bulk';
        priorities.set(sequence, priority);
        return client.detect(images[sequence % images.length], priority);
      },
    });
    const wallS = (performance.now() - started) / 1000;
    const answeredDuringOverload = client.answeredTimings.slice(answeredBefore);
    const coresBusy = {
      gateway: round((cpuSeconds(gateway.pid) - cpuAtStart.gateway) / wallS, 2),
      loadGenerator: round((cpuSeconds(process.pid) - cpuAtStart.bench) / wallS, 2),
    };
    // Keep sampling a little after the last answer: memory must come back down.
    await sleep(3000);
    clearInterval(sampler);
    sampleRss();
    const afterwards = await client.detect(images[0], 'realtime');
    const refusals = await admissionRefusals(gateway.httpUrl);

    const samples: Sample[] = raw.map((sample) => ({
      ...sample,
      priority: priorities.get(sample.sequence) ?? 'bulk',
    }));
    const results: OverloadResults = {
      benchmark: 'overload',
      machine,
      loadAverageAtEnd: loadavg().map((value) => round(value, 2)),
      settings,
      capacityImagesPerSecond: round(capacity, 2),
      unloadedP50Ms: round(unloaded.p50Ms, 1),
      unloadedP99Ms: round(unloaded.p99Ms, 1),
      offeredPerSecond: round(samples.length / settings.durationS, 2),
      overall: summarizePriority(samples),
      byPriority: {
        realtime: summarizePriority(samples.filter((s) => s.priority === 'realtime')),
        bulk: summarizePriority(samples.filter((s) => s.priority === 'bulk')),
      },
      perSecond: perSecond(samples, settings.durationS),
      rss,
      statusAfterOverload: afterwards,
      admissionRefusals: refusals,
      coresBusy,
      admittedStagesP50Ms: stageMedians(answeredDuringOverload),
      unloadedStagesP50Ms: stageMedians(unloadedTimings),
    };
    return results;
  } finally {
    client.close();
    await gateway.stop();
  }
}

/** The median of each stage's wall time over the answered calls. */
function stageMedians(timings: readonly Record<string, number>[]): Record<string, number> {
  const stages = [...new Set(timings.flatMap((timing) => Object.keys(timing)))];
  return Object.fromEntries(
    stages.map((stage) => [
      stage,
      round(summarize(timings.map((timing) => timing[stage] ?? 0)).p50Ms, 1),
    ]),
  );
}

/**
 * The gateway's own account of what admission refused and why, summed over priorities (its
 * /metrics at the end of the run), and the in-flight limit it had learnt.
 */
async function admissionRefusals(httpUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${httpUrl}/metrics`, { headers: benchAuthHeaders() })).text();
  const totals: Record<string, number> = {};
  const line =
    /^gateway_admission_(shed|expired)_total\{[^}]*reason="([a-z_]+)"[^}]*\} ([0-9.e+]+)$/gm;
  for (const [, kind, reason, value] of text.matchAll(line)) {
    const key = `${kind}:${reason}`;
    totals[key] = (totals[key] ?? 0) + Number(value);
  }
  const limit = /^gateway_admission_limit\{[^}]*model="nanodet"[^}]*\} ([0-9.]+)$/m.exec(text);
  if (limit) totals.limitAtEnd = Number(limit[1]);
  return totals;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
