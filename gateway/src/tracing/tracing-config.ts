import { z } from 'zod';

const flag = z
  .enum(['true', 'false', '1', '0'], { message: "must be 'true' or 'false'" })
  .transform((value) => value === 'true' || value === '1');

/** The settings of following a call: the access log and OpenTelemetry tracing. */
export const tracingEnvShape = {
  /** One JSON line per call (logging/access-log.ts); false turns it off. */
  GATEWAY_ACCESS_LOG: flag.default(true),
  /**
   * OTLP/HTTP traces URL (e.g. http://127.0.0.1:4318/v1/traces); empty: tracing off, no SDK
   * started. Logged at start-up without its query or user info.
   */
  GATEWAY_OTLP_ENDPOINT: z
    .union([
      z.literal(''),
      z.url({ protocol: /^https?$/, message: 'must be an http(s) URL or empty' }),
    ])
    .default(''),
  /** `service.name` of the gateway's spans. */
  GATEWAY_OTLP_SERVICE_NAME: z.string().min(1).max(100).default('triton-cv-gateway'),
  /** Share of calls without a sampled parent that are traced (a caller's decision is kept). */
  GATEWAY_TRACE_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
};

type TracingEnv = z.output<z.ZodObject<typeof tracingEnvShape>>;

export interface TracingConfig {
  accessLog: boolean;
  /** Undefined: tracing off. */
  otlp?: { endpoint: string; serviceName: string; sampleRatio: number };
}

export function tracingConfigFrom(env: TracingEnv): TracingConfig {
  return {
    accessLog: env.GATEWAY_ACCESS_LOG,
    ...(env.GATEWAY_OTLP_ENDPOINT !== '' && {
      otlp: {
        endpoint: env.GATEWAY_OTLP_ENDPOINT,
        serviceName: env.GATEWAY_OTLP_SERVICE_NAME,
        sampleRatio: env.GATEWAY_TRACE_SAMPLE_RATIO,
      },
    }),
  };
}
