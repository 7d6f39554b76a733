/**
 * Rollouts (issue 13): how fast a rollback reaches every replica, and what a 100% shadow costs
 * the primary path. One fleet, as the quick start runs it (the control plane on PGlite, three
 * gateway replicas with the embedded backend following its WatchRoutes stream), in one run:
 *
 * 1. Propagation: a canary is set and applied everywhere, then `rollbackDeployment` is sent; the
 *    time from sending it to every replica acknowledging the new revision (the control plane's
 *    routingReplicas, polled every POLL_MS), over FLIPS rollbacks.
 * 2. Shadow cost: closed-loop detect calls to one replica with the deployment stable-only, then
 *    with a 100% shadow of a version that computes the same (faithful canary): at concurrency 1
 *    (CPU headroom: the copy runs while the next call waits for its answer) and at a concurrency
 *    that saturates the machine (no headroom: copies must be shed, not slow the primary).
 *
 * Writes load-tests/results/rollouts.{json,md,png}.
 *
 *   node -r @swc-node/register load-tests/rollouts/run.ts
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  detect,
  graphql,
  IMAGES,
  replicas,
  setDeployment,
} from '../../control-plane/test/rollouts/rollout-client';
import { NANODET_VERSIONS, RolloutFleet } from '../../control-plane/test/rollouts/rollout-fleet';
import { runClosedLoop } from '../lib/closed-loop';
import { round, summarize, type LatencySummary } from '../lib/latency-stats';
import { machineInfo } from '../lib/machine-info';
import { plotLines } from '../lib/plot';

const RESULTS_DIR = resolve(__dirname, '../results');
const FLIPS = Number(process.env.ROLLOUT_FLIPS ?? 40);
const POLL_MS = 5;
const WARMUP_MS = Number(process.env.ROLLOUT_WARMUP_MS ?? 3000);
const MEASURE_MS = Number(process.env.ROLLOUT_MEASURE_MS ?? 20_000);
const SATURATING_CONCURRENCY = Number(process.env.ROLLOUT_SATURATING_CONCURRENCY ?? 8);

interface Propagation {
  flips: number;
  allReplicasMs: LatencySummary;
  perReplicaMs: LatencySummary;
  samplesMs: number[];
}

/** Rollbacks timed from the mutation's start to the last replica's ack of its revision. */
async function measurePropagation(fleet: RolloutFleet): Promise<Propagation> {
  const all: number[] = [];
  const each: number[] = [];
  for (let flip = 0; flip < FLIPS; flip += 1) {
    await setDeployment(fleet, { model: 'echo', stableVersion: '1' });
    const canary = await setDeployment(fleet, {
      model: 'echo',
      stableVersion: '1',
      canary: { version: '2', weightPercent: 50 },
    });
    await waitApplied(fleet, canary, Date.now());
    const started = performance.now();
    const data = await graphql<{
      rollbackDeployment: { deployment: { activeRevision: { revision: string } } };
    }>(
      fleet,
      `
        mutation ($input: RollbackDeploymentInput!) {
          rollbackDeployment(input: $input) {
            deployment {
              activeRevision {
                revision
              }
            }
          }
        }
      `,
      { input: { model: 'echo', reason: `benchmark flip ${flip}` } },
    );
    const times = await waitApplied(
      fleet,
      data.rollbackDeployment.deployment.activeRevision.revision,
      started,
    );
    each.push(...times);
    all.push(Math.max(...times));
  }
  return {
    flips: FLIPS,
    allReplicasMs: summarize(all),
    perReplicaMs: summarize(each),
    samplesMs: all.map((ms) => round(ms)),
  };
}

/** Polls the replicas' acks until all three applied `revision`; ms since `since` for each. */
async function waitApplied(
  fleet: RolloutFleet,
  revision: string,
  since: number,
): Promise<number[]> {
  const seen = new Map<string, number>();
  const deadline = Date.now() + 30_000;
  while (seen.size < fleet.gateways.length) {
    if (Date.now() > deadline)
      throw new Error(`revision ${revision} not applied everywhere in 30 s`);
    for (const replica of await replicas(fleet)) {
      if (
        replica.connected &&
        replica.appliedRevision === revision &&
        !seen.has(replica.gatewayId)
      ) {
        seen.set(replica.gatewayId, performance.now() - since);
      }
    }
    await sleep(POLL_MS);
  }
  return [...seen.values()];
}

interface ShadowCell {
  concurrency: number;
  shadow: boolean;
  latency: LatencySummary;
  throughputPerSecond: number;
  errors: number;
  shadowCompared: number;
  shadowDropped: number;
}

async function shadowCounts(fleet: RolloutFleet): Promise<{ compared: number; dropped: number }> {
  const text = await (await fetch(`${fleet.gateways[0].httpUrl}/metrics`)).text();
  const count = (outcome: string): number =>
    Number(
      text.match(
        new RegExp(`gateway_shadow_calls_total\\{[^}]*outcome="${outcome}"\\} (\\d+)`),
      )?.[1] ?? 0,
    );
  return { compared: count('compared'), dropped: count('dropped') };
}

async function measureShadowCell(
  fleet: RolloutFleet,
  concurrency: number,
  shadow: boolean,
): Promise<ShadowCell> {
  const revision = await setDeployment(fleet, {
    model: 'nanodet',
    stableVersion: NANODET_VERSIONS.stable,
    shadows: shadow ? [{ version: NANODET_VERSIONS.faithful, samplePercent: 100 }] : [],
  });
  await waitApplied(fleet, revision, performance.now());
  let before = { compared: 0, dropped: 0 };
  let after = before;
  const result = await runClosedLoop({
    concurrency,
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
    send: async (sequence) => {
      await detect(fleet, 0, IMAGES[sequence % IMAGES.length]);
    },
    onWindowOpen: () => void shadowCounts(fleet).then((counts) => (before = counts)),
    onWindowClose: () => void shadowCounts(fleet).then((counts) => (after = counts)),
  });
  await sleep(500);
  return {
    concurrency,
    shadow,
    latency: summarize(result.latenciesMs),
    throughputPerSecond: round(result.completedInWindow / (result.windowMs / 1000)),
    errors: result.errors,
    shadowCompared: after.compared - before.compared,
    shadowDropped: after.dropped - before.dropped,
  };
}

function markdown(
  propagation: Propagation,
  cells: ShadowCell[],
  info: ReturnType<typeof machineInfo>,
): string {
  const ms = (value: number): string => round(value, 1).toFixed(1);
  const lines = [
    '# Rollouts: propagation of a rollback, cost of a shadow',
    '',
    `${info.cpuModel}, ${info.cores} cores, Node ${info.node}, commit ${info.gitCommit}${info.gitDirty ? ' (dirty)' : ''}, ${info.date}.`,
    'Control plane on PGlite, three gateway replicas (embedded ONNX Runtime) on the same machine.',
    '',
    `## Rollback propagation (${propagation.flips} rollbacks; acks polled every ${POLL_MS} ms)`,
    '',
    "| measured from the mutation's start | p50 ms | p90 ms | p99 ms | max ms |",
    '|---|---|---|---|---|',
    `| all three replicas applied | ${ms(propagation.allReplicasMs.p50Ms)} | ${ms(propagation.allReplicasMs.p90Ms)} | ${ms(propagation.allReplicasMs.p99Ms)} | ${ms(propagation.allReplicasMs.maxMs)} |`,
    `| each replica applied | ${ms(propagation.perReplicaMs.p50Ms)} | ${ms(propagation.perReplicaMs.p90Ms)} | ${ms(propagation.perReplicaMs.p99Ms)} | ${ms(propagation.perReplicaMs.maxMs)} |`,
    '',
    'Design target: p99 ≤ 1 s to all replicas.',
    '',
    '## Primary detect latency with and without a 100% shadow (one replica, closed loop)',
    '',
    '| concurrency | shadow | p50 ms | p99 ms | calls/s | errors | copies compared | copies dropped | p99 vs no shadow |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const cell of cells) {
    const base = cells.find((other) => other.concurrency === cell.concurrency && !other.shadow);
    const ratio = base ? cell.latency.p99Ms / base.latency.p99Ms : Number.NaN;
    lines.push(
      `| ${cell.concurrency} | ${cell.shadow ? '100%' : 'none'} | ${ms(cell.latency.p50Ms)} | ${ms(cell.latency.p99Ms)} | ${cell.throughputPerSecond} | ${cell.errors} | ${cell.shadowCompared} | ${cell.shadowDropped} | ${cell.shadow ? `${round(ratio, 3)}×` : '—'} |`,
    );
  }
  lines.push(
    '',
    'Design target: a shadow adds ≤ 5% to primary p99 when there is CPU headroom, and is shed first when there is none.',
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const info = machineInfo();
  const fleet = await RolloutFleet.start({ shared: false });
  try {
    console.log('measuring rollback propagation');
    const propagation = await measurePropagation(fleet);
    console.log(JSON.stringify(propagation.allReplicasMs));
    const cells: ShadowCell[] = [];
    for (const concurrency of [1, SATURATING_CONCURRENCY]) {
      for (const shadow of [false, true]) {
        console.log(`shadow cost: concurrency ${concurrency}, shadow ${shadow}`);
        cells.push(await measureShadowCell(fleet, concurrency, shadow));
        console.log(JSON.stringify(cells.at(-1)));
      }
    }
    const results = { machine: info, propagation, shadowCost: cells };
    writeFileSync(resolve(RESULTS_DIR, 'rollouts.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(resolve(RESULTS_DIR, 'rollouts.md'), markdown(propagation, cells, info));
    const sorted = [...propagation.samplesMs].sort((a, b) => a - b);
    plotLines(resolve(RESULTS_DIR, 'rollouts.png'), 'Rollback propagation to three replicas', [
      {
        title: 'time until all replicas applied the rollback (sorted)',
        xlabel: 'rollback (sorted by time)',
        ylabel: 'ms',
        series: [
          {
            label: 'all three applied',
            x: sorted.map((_, index) => index + 1),
            y: sorted,
            style: 'points',
          },
        ],
      },
    ]);
  } finally {
    await fleet.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
