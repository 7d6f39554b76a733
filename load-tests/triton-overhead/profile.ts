/**
 * `npm run bench:triton-overhead:profile`: where the gateway's CPU goes while it forwards nanodet
 * inferences to a real Triton. For each protocol a fresh gateway child runs under `node --cpu-prof`
 * while perf_analyzer drives it; the profile's self time per frame and per area is written to
 * load-tests/results/triton-overhead-profile.{json,md} (the .cpuprofile files stay in a temporary
 * directory, printed, for Chrome DevTools).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cpuSeconds } from '@test-support';
import { startTritonServer } from '../../gateway/test/interop/triton-server';
import { buildGateway, startGatewayProcess } from '../detect-overhead/gateway-process';
import { machineInfo } from '../lib/machine-info';
import { round } from '../lib/latency-stats';
import { parseAnalyzerCsv, runAnalyzer, setUpPerfAnalyzer } from './analyzer';
import {
  profileTables,
  summarizeProfile,
  type CpuProfile,
  type ProfileSummary,
} from './cpu-profile-summary';
import { tritonInferenceCount } from './triton-count';

const RESULTS_DIR = resolve(__dirname, '../../load-tests/results');
const protocols = (process.env.PROFILE_PROTOCOLS ?? 'grpc,http').split(',') as ('http' | 'grpc')[];
const concurrency = Number(process.env.PROFILE_CONCURRENCY ?? 1);
const windowMs = Number(process.env.BENCH_WINDOW_MS ?? 5000);
/** Experiments: more node flags (e.g. `--trace-gc`) and settings (`NAME=value ...`) for the gateway. */
const extraFlags = (process.env.PROFILE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const extraEnv = Object.fromEntries(
  (process.env.PROFILE_GATEWAY_ENV ?? '')
    .split(' ')
    .filter(Boolean)
    .map((setting) => [
      setting.slice(0, setting.indexOf('=')),
      setting.slice(setting.indexOf('=') + 1),
    ]),
);

interface ProtocolProfile {
  protocol: 'http' | 'grpc';
  concurrency: number;
  throughput: number;
  p50Ms: number;
  gatewayCpuMsPerInfer: number;
  profileFile: string;
  summary: ProfileSummary;
}

async function main(): Promise<void> {
  const analyzer = setUpPerfAnalyzer();
  buildGateway();
  const triton = await startTritonServer({ intraOpThreads: 1, readyTimeoutMs: 120_000 });
  const tmp = mkdtempSync(join(tmpdir(), 'triton-overhead-profile-'));
  const profiles: ProtocolProfile[] = [];
  try {
    for (const protocol of protocols) {
      const dir = join(tmp, protocol);
      mkdirSync(dir);
      const gateway = await startGatewayProcess(
        1,
        { TRITON_GRPC_URLS: triton.grpcAddress, ...extraEnv },
        { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...extraFlags], compiled: true },
      );
      const address =
        protocol === 'grpc'
          ? gateway.grpcAddress
          : gateway.httpUrl.replace(/^https?:\/\/|\/$/g, '');
      const cpuBefore = cpuSeconds(gateway.pid);
      const countBefore = await tritonInferenceCount(triton.metricsUrl);
      const csv = join(dir, 'analyzer.csv');
      const outcome = await runAnalyzer(analyzer, {
        model: 'nanodet',
        address,
        protocol,
        concurrency,
        windowMs,
        windows: 3,
        csv,
      });
      const cpu = cpuSeconds(gateway.pid) - cpuBefore;
      const served = (await tritonInferenceCount(triton.metricsUrl)) - countBefore;
      await gateway.exit();
      if (outcome.code !== 0) throw new Error(`perf_analyzer failed: ${outcome.tail}`);
      const result = parseAnalyzerCsv(csv);
      const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
      const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
      profiles.push({
        protocol,
        concurrency,
        throughput: result.throughput,
        p50Ms: result.p50Ms,
        gatewayCpuMsPerInfer: round((cpu * 1000) / served, 2),
        profileFile: join(dir, file),
        summary: summarizeProfile(profile),
      });
      console.log(`${protocol}: profile ${join(dir, file)}`);
    }
  } finally {
    await triton.stop();
  }
  const machine = machineInfo();
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    join(RESULTS_DIR, 'triton-overhead-profile.json'),
    `${JSON.stringify({ machine, profiles }, null, 2)}\n`,
  );
  writeFileSync(join(RESULTS_DIR, 'triton-overhead-profile.md'), render(machine, profiles));
  console.log('wrote load-tests/results/triton-overhead-profile.{json,md}');
}

function render(machine: ReturnType<typeof machineInfo>, profiles: ProtocolProfile[]): string {
  const lines = [
    '# triton-overhead profile',
    '',
    `\`node --cpu-prof\` of the gateway child forwarding nanodet inferences (batch 1, FP32 [3,416,416]) ` +
      `to a real Triton under perf_analyzer. Commit ${machine.gitCommit.slice(0, 12)}` +
      `${machine.gitDirty ? ' (dirty)' : ''}, ${machine.date}, ${machine.cpuModel}, ${machine.cores} cores.`,
  ];
  for (const run of profiles) {
    lines.push(
      '',
      `## ${run.protocol}, concurrency ${run.concurrency}`,
      '',
      `${run.throughput} infer/s, p50 ${run.p50Ms} ms; gateway CPU ${run.gatewayCpuMsPerInfer} ms per ` +
        `inference (/proc, over the whole run ÷ inferences Triton served meanwhile). Profile: ` +
        `${run.summary.busyMs} ms busy of ${run.summary.sampledMs} ms sampled.`,
      '',
      ...profileTables(run.summary),
    );
  }
  return `${lines.join('\n')}\n`;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
