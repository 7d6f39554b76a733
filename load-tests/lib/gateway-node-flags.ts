/**
 * The V8 flags `npm run start:gateway` (package.json) and scripts/quickstart.sh start the gateway
 * with, so benchmarks measure the gateway as it runs. A 256 MB initial old generation: every
 * forwarded tensor is a few MB of buffers that outlive a scavenge while the backend works on them;
 * with V8's default small initial limit those promoted buffers started a full mark-compact about
 * once per request (measured: 130 vs 30 in the same perf_analyzer run, see load-tests/triton-overhead/README.md).
 */
export const GATEWAY_NODE_FLAGS = ['--initial-old-space-size=256'];
