import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Interceptor } from '@grpc/grpc-js';
import { apiKeyInterceptor } from '@test-support';
import type { CallContext } from '../../gateway/src/request-path/call-context';

/**
 * The admin API key every benchmark gateway is started with (GATEWAY_BOOTSTRAP_API_KEY), so the
 * benchmarks measure authenticated calls, as production serves them. Benchmark-only.
 */
export const BENCH_API_KEY = 'tcg_Benchmark001_kq3V0b7yH2sW9nFz1XcR4tLpM8dE6aJuQiGo5KvYhBw';

/** HTTP headers that authenticate a benchmark client. */
export function benchAuthHeaders(): Record<string, string> {
  return { 'x-api-key': BENCH_API_KEY };
}

/** A grpc-js client interceptor adding the bench key to every call's metadata. */
export function benchGrpcInterceptor(): Interceptor {
  return apiKeyInterceptor(BENCH_API_KEY);
}

/**
 * Environment for a benchmark gateway: the bench key, and an API key store of its own in a temporary
 * folder (not the repository's .data/).
 */
export function benchGatewayEnv(): Record<string, string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  if (dataDirs.size === 0) process.once('exit', removeDataDirs);
  dataDirs.add(dataDir);
  return { GATEWAY_BOOTSTRAP_API_KEY: BENCH_API_KEY, GATEWAY_DATA_DIR: dataDir };
}

/** Removed when the benchmark process exits, however it exits (its gateway children die with it). */
const dataDirs = new Set<string>();

function removeDataDirs(): void {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  dataDirs.clear();
}

/** What a front door would hand the pipeline for an authenticated benchmark call of one image. */
export const BENCH_CALL: CallContext = {
  caller: { tenant: 'bench', subject: 'key:Benchmark001', scopes: ['admin'] },
  priority: 'realtime',
  images: 1,
};
