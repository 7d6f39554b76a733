/**
 * How `npm run start:gateway` (package.json) and scripts/quickstart.sh start the gateway, so tests
 * and benchmarks measure it as it runs.
 *
 * V8 flags:
 * - A 256 MB initial old generation: every forwarded tensor is a few MB of buffers that outlive a
 *   scavenge while the backend works on them; with V8's default small initial limit those promoted
 *   buffers started a full mark-compact about once per request (measured: 130 vs 30 in the same
 *   perf_analyzer run, see load-tests/triton-overhead/README.md).
 * - `--expose-gc`, for gateway/src/process-memory/idle-reclaim.ts: one major collection once the
 *   gateway is idle after a burst, so the buffers it freed go back to the OS.
 */
export const GATEWAY_NODE_FLAGS = ['--initial-old-space-size=256', '--expose-gc'];

/**
 * Environment the gateway process needs from its start (glibc reads it before any JavaScript
 * runs). A fixed mmap threshold: every allocation of 128 KiB or more gets pages of its own, which
 * go back to the OS when it is freed. By default glibc raises the threshold after each large free
 * (up to 32 MiB), so image and tensor buffers end up in its heaps, which fragment and keep them:
 * measured in load-tests/results/rss-recovery.md.
 */
export const GATEWAY_PROCESS_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '131072',
};
