import { P99_OBJECTIVE_MS } from './settings';

export type Tier = 'embedded' | 'interop';
export type GatewayBatching = 'off' | 'fixed' | 'adaptive';

/** One way of serving nanodet: a gateway child with these settings (and, in interop, a Triton). */
export interface Configuration {
  tier: Tier;
  /** Short, stable name: the JSON key, the report row and the plot label. */
  name: string;
  description: string;
  gatewayBatching: GatewayBatching;
  /** Environment of the gateway child beyond the common one (commonGatewayEnv). */
  gatewayEnv: Record<string, string>;
  /** Interop only: whether Triton's own dynamic batcher is on (its config keeps dynamic_batching). */
  tritonBatching?: boolean;
}

/**
 * nanodet's config.pbtxt: max_batch_size 8, preferred_batch_size [4, 8], max_queue_delay 2 ms. The
 * preferred sizes stay in force in every fixed setting below (a batch reaching 4 leaves at once
 * unless 8 are already waiting); the overrides change the size cap and the delay.
 */
export const EMBEDDED_CONFIGURATIONS: readonly Configuration[] = [
  {
    tier: 'embedded',
    name: 'off',
    description: 'no batching (GATEWAY_BATCHING=off): one ONNX Runtime run per request',
    gatewayBatching: 'off',
    gatewayEnv: { GATEWAY_BATCHING: 'off' },
  },
  {
    tier: 'embedded',
    name: 'fixed-4-2ms',
    description: 'fixed, max batch 4, delay 2 ms (preferred 4)',
    gatewayBatching: 'fixed',
    gatewayEnv: {
      GATEWAY_BATCHING: 'fixed',
      GATEWAY_BATCH_MAX_SIZE: '4',
      GATEWAY_BATCH_MAX_QUEUE_DELAY_US: '2000',
    },
  },
  {
    tier: 'embedded',
    name: 'fixed-8-2ms',
    description: 'fixed, config.pbtxt as is: max batch 8, delay 2 ms (preferred 4, 8)',
    gatewayBatching: 'fixed',
    gatewayEnv: { GATEWAY_BATCHING: 'fixed' },
  },
  {
    tier: 'embedded',
    name: 'fixed-8-10ms',
    description: 'fixed, max batch 8, delay 10 ms (preferred 4, 8)',
    gatewayBatching: 'fixed',
    gatewayEnv: {
      GATEWAY_BATCHING: 'fixed',
      GATEWAY_BATCH_MAX_SIZE: '8',
      GATEWAY_BATCH_MAX_QUEUE_DELAY_US: '10000',
    },
  },
  {
    tier: 'embedded',
    name: 'adaptive',
    description: `adaptive, p99 objective ${P99_OBJECTIVE_MS} ms, starting from config.pbtxt's settings`,
    gatewayBatching: 'adaptive',
    gatewayEnv: {
      GATEWAY_BATCHING: 'adaptive',
      // nanodet's config.pbtxt sets the same objective (its parameter wins over this default).
      GATEWAY_BATCH_P99_OBJECTIVE_MS: String(P99_OBJECTIVE_MS),
    },
  },
];

/**
 * The gateway's batching in front of Triton: config.pbtxt's size and delay, set explicitly because
 * the gateway reads the config Triton serves, and the Triton without a batcher serves no
 * dynamic_batching block (so it has no preferred sizes either: batches close full or on the delay).
 */
const GATEWAY_FIXED_ON_TRITON = {
  GATEWAY_BATCHING: 'fixed',
  GATEWAY_BATCH_MAX_SIZE: '8',
  GATEWAY_BATCH_MAX_QUEUE_DELAY_US: '2000',
};

export const INTEROP_CONFIGURATIONS: readonly Configuration[] = [
  {
    tier: 'interop',
    name: 'neither',
    description: 'no batching: gateway off, Triton without dynamic_batching',
    gatewayBatching: 'off',
    gatewayEnv: { GATEWAY_BATCHING: 'off' },
    tritonBatching: false,
  },
  {
    tier: 'interop',
    name: 'gateway',
    description: 'gateway batching (fixed, 8 / 2 ms), Triton without dynamic_batching',
    gatewayBatching: 'fixed',
    gatewayEnv: GATEWAY_FIXED_ON_TRITON,
    tritonBatching: false,
  },
  {
    tier: 'interop',
    name: 'triton',
    description: "Triton's dynamic batcher (config.pbtxt: 8, preferred 4/8, 2 ms), gateway off",
    gatewayBatching: 'off',
    gatewayEnv: { GATEWAY_BATCHING: 'off' },
    tritonBatching: true,
  },
  {
    tier: 'interop',
    name: 'both',
    description: "gateway batching (fixed, 8 / 2 ms) in front of Triton's dynamic batcher",
    gatewayBatching: 'fixed',
    gatewayEnv: GATEWAY_FIXED_ON_TRITON,
    tritonBatching: true,
  },
];

/**
 * What every benchmark gateway gets: a fixed admission bound that admits the highest concurrency
 * at once (requests waiting in the batch queue count as in flight for admission, and that bound is
 * the batch queue's bound too: docs/batching.md), and rate limits off (0 = unlimited; the built-in
 * default is 10 000/s, far above this model), so only batching shapes the numbers.
 */
export function commonGatewayEnv(maxConcurrency: number): Record<string, string> {
  const bound = String(Math.max(128, 2 * maxConcurrency));
  return {
    GATEWAY_MAX_IN_FLIGHT_PER_MODEL: bound,
    GATEWAY_MAX_QUEUE_PER_MODEL: bound,
    GATEWAY_ADMISSION_LIMIT: 'fixed',
    GATEWAY_RATE_LIMITS: JSON.stringify({ default: { requestsPerSecond: 0, imagesPerSecond: 0 } }),
  };
}
