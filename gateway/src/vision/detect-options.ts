import { z } from 'zod';
import type { GatewayConfig } from '../config/gateway-config';
import { invalidArgument } from '../errors/gateway-error';
import type { DetectOptions } from './detect-types';

const probability = z.coerce.number().min(0).max(1);

/** Query parameters of POST /v1/models/{model}/detect, all optional. */
const querySchema = z
  .object({
    scoreThreshold: probability.optional(),
    iouThreshold: probability.optional(),
    maxDetections: z.coerce.number().int().min(1).max(1000).optional(),
    classes: z.string().min(1).optional(),
    resize: z.enum(['stretch', 'letterbox']).optional(),
  })
  .strict();

export interface RawDetectOptions {
  scoreThreshold?: number;
  iouThreshold?: number;
  maxDetections?: number;
  classes?: string[];
  resize?: 'stretch' | 'letterbox';
}

/** Validates detect options from a query string; unknown parameters are refused by name. */
export function detectOptionsFromQuery(
  query: unknown,
  defaults: GatewayConfig['detectDefaults'],
): DetectOptions {
  const parsed = querySchema.safeParse(query ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
    throw invalidArgument(`invalid query parameter '${where}': ${issue.message}`);
  }
  const { classes, ...rest } = parsed.data;
  return withDefaults(
    {
      ...rest,
      classes: classes
        ?.split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    },
    defaults,
  );
}

/** Fills unset options from the gateway's defaults (shared by REST and gRPC). */
export function withDefaults(
  options: RawDetectOptions,
  defaults: GatewayConfig['detectDefaults'],
): DetectOptions {
  return {
    scoreThreshold: options.scoreThreshold ?? defaults.scoreThreshold,
    iouThreshold: options.iouThreshold ?? defaults.iouThreshold,
    maxDetections: options.maxDetections ?? defaults.maxDetections,
    classes: options.classes?.length ? options.classes : undefined,
    resize: options.resize,
  };
}
