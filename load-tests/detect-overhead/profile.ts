/**
 * `npm run bench:detect-overhead:profile`: where a real gateway's CPU goes while it serves detect
 * calls over HTTP (embedded ONNX Runtime, one intra-op thread), one call at a time over the
 * benchmark's sample images. The gateway child runs under `node --cpu-prof` (its main thread:
 * ONNX Runtime's worker thread and libvips' pool are not in it, but in the process CPU); its self
 * time per frame and per area is written to load-tests/results/detect-overhead-profile.{json,md}.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cpuSeconds } from '@test-support';
import { benchAuthHeaders } from '../lib/bench-credentials';
import { machineInfo } from '../lib/machine-info';
import { round } from '../lib/latency-stats';
import {
  profileTables,
  summarizeProfile,
  type CpuProfile,
  type ProfileSummary,
} from '../triton-overhead/cpu-profile-summary';
import { buildGateway, startGatewayProcess } from './gateway-process';
import { loadImages } from './images';
import { MODEL } from './settings';

const RESULTS_DIR = resolve(__dirname, '../../load-tests/results');
const seconds = Number(process.env.PROFILE_SECONDS ?? 20);
const extraFlags = (process.env.PROFILE_NODE_FLAGS ?? '').split(' ').filter(Boolean);

interface DetectProfile {
  calls: number;
  gatewayCpuMsPerCall: number;
  mainThreadBusyMsPerCall: number;
  meanMs: number;
  profileFile: string;
  summary: ProfileSummary;
}

async function main(): Promise<void> {
  buildGateway();
  const images = loadImages();
  const dir = mkdtempSync(join(tmpdir(), 'detect-overhead-profile-'));
  // The profile starts with the child: the measured window's place in it, start-up left out.
  const spawned = performance.now();
  const gateway = await startGatewayProcess(
    1,
    {},
    { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...extraFlags], compiled: true },
  );
  const detect = async (index: number): Promise<void> => {
    const image = images[index % images.length];
    const response = await fetch(`${gateway.httpUrl}/v1/models/${MODEL}/detect`, {
      method: 'POST',
      headers: { ...benchAuthHeaders(), 'content-type': image.contentType },
      body: image.bytes,
    });
    if (response.status !== 200)
      throw new Error(`detect: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  };
  for (let call = 0; call < 3 * images.length; call += 1) await detect(call);
  const cpuBefore = cpuSeconds(gateway.pid);
  const started = performance.now();
  let calls = 0;
  while (performance.now() - started < seconds * 1000) await detect(calls++);
  const ended = performance.now();
  const elapsed = ended - started;
  const cpu = cpuSeconds(gateway.pid) - cpuBefore;
  await gateway.exit();
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const summary = summarizeProfile(profile, 40, {
    fromMs: started - spawned,
    toMs: ended - spawned,
  });
  const result: DetectProfile = {
    calls,
    gatewayCpuMsPerCall: round((cpu * 1000) / calls, 2),
    mainThreadBusyMsPerCall: round(summary.busyMs / calls, 2),
    meanMs: round(elapsed / calls, 2),
    profileFile: join(dir, file),
    summary,
  };
  const machine = machineInfo();
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    join(RESULTS_DIR, 'detect-overhead-profile.json'),
    `${JSON.stringify({ machine, result }, null, 2)}\n`,
  );
  const lines = [
    '# detect-overhead profile',
    '',
    `\`node --cpu-prof\` of a gateway child serving HTTP detect calls on ${images.length} sample images, ` +
      `one at a time. Commit ${machine.gitCommit.slice(0, 12)}${machine.gitDirty ? ' (dirty)' : ''}, ` +
      `${machine.date}, ${machine.cpuModel}, ${machine.cores} cores.`,
    '',
    `${calls} calls, ${result.meanMs} ms each on average; gateway CPU ${result.gatewayCpuMsPerCall} ms per call ` +
      `(/proc, every thread: ONNX Runtime's worker and libvips' threads too). Main thread over the measured window: ` +
      `${result.summary.busyMs} ms busy of ${result.summary.sampledMs} ms sampled, ${result.mainThreadBusyMsPerCall} ms per call.`,
    '',
    ...profileTables(result.summary),
  ];
  writeFileSync(join(RESULTS_DIR, 'detect-overhead-profile.md'), `${lines.join('\n')}\n`);
  console.log(
    `profile ${result.profileFile}; wrote load-tests/results/detect-overhead-profile.{json,md}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
