import { z } from 'zod';
import type { GatewayConfig } from '../config/gateway-config';
import { invalidArgument } from '../errors/gateway-error';
import { quoted } from '../errors/quoted-value';
import type { DetectOptions as DetectOptionsMessage } from '@contracts/generated/vision/v1/vision_pb';
import type { DetectOptions } from './detect-types';

/**
 * Numbers as a query gives them: plain decimals (`0.5`, `.5`, `10`). Number() would also take
 * `0x1`, `1e-1`, `' 0.5'` and `''` (as 0), so a typo would pass as another value.
 */
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
const WHOLE = /^\d+$/;
/** Class names a request may filter on, and the longest one: far above any detector's labels. */
const MAX_CLASSES = 1000;
const MAX_CLASS_NAME_CHARS = 100;
/** Unknown parameter names an answer lists before it only counts them. */
const MAX_NAMES_SHOWN = 5;

/** A number parameter: a decimal string (REST query) or a number (gRPC options). */
function numeric(pattern: RegExp, expected: string) {
  return z.union([z.number(), z.string().regex(pattern).transform(Number)], {
    error: `must be ${expected}`,
  });
}

const probability = numeric(DECIMAL, 'a decimal number from 0 to 1, e.g. 0.5').pipe(
  z.number().min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1'),
);

/** Comma-separated class names, each non-empty; bounded before it is split. */
const classList = z
  .string({ error: 'must be class names separated by commas, e.g. person,car' })
  .max(MAX_CLASSES * (MAX_CLASS_NAME_CHARS + 1), `is longer than ${MAX_CLASSES} class names`)
  .transform((value) => value.split(',').map((name) => name.trim()))
  .refine((names) => names.length <= MAX_CLASSES, `names more than ${MAX_CLASSES} classes`)
  .refine(
    (names) => names.every((name) => name !== ''),
    'has an empty class name: give class names separated by commas, e.g. person,car',
  )
  .refine(
    (names) => names.every((name) => name.length <= MAX_CLASS_NAME_CHARS),
    `has a class name longer than ${MAX_CLASS_NAME_CHARS} characters`,
  );

/** Query parameters of POST /v1/models/{model}/detect, all optional. */
const querySchema = z
  .object({
    scoreThreshold: probability.optional(),
    iouThreshold: probability.optional(),
    maxDetections: numeric(WHOLE, 'a whole number from 1 to 1000')
      .pipe(
        z
          .number()
          .int('must be a whole number from 1 to 1000')
          .min(1, 'must be from 1 to 1000')
          .max(1000, 'must be from 1 to 1000'),
      )
      .optional(),
    classes: classList.optional(),
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

/**
 * Validates detect options from a query string: each bad value is refused naming its parameter;
 * unknown parameters are refused by name.
 */
export function detectOptionsFromQuery(
  query: unknown,
  defaults: GatewayConfig['detectDefaults'],
): DetectOptions {
  const parsed = querySchema.safeParse(query ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      const shown = issue.keys.slice(0, MAX_NAMES_SHOWN).map((key) => quoted(key));
      const more =
        issue.keys.length > MAX_NAMES_SHOWN
          ? ` and ${issue.keys.length - MAX_NAMES_SHOWN} more`
          : '';
      throw invalidArgument(
        `unknown query parameter ${shown.join(', ')}${more}; known: scoreThreshold, iouThreshold, maxDetections, classes, resize`,
      );
    }
    throw invalidArgument(`invalid query parameter '${issue.path.join('.')}': ${issue.message}`);
  }
  return withDefaults(parsed.data, defaults);
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

/** gRPC's DetectOptions fields as errors name them: their protobuf names within DetectRequest. */
const MESSAGE_FIELDS: Record<keyof RawDetectOptions, string> = {
  scoreThreshold: 'options.score_threshold',
  iouThreshold: 'options.iou_threshold',
  maxDetections: 'options.max_detections',
  classes: 'options.classes',
  resize: 'options.resize',
};

const messageProbability = z
  .number({ error: 'must be a number from 0 to 1' })
  .min(0, 'must be from 0 to 1')
  .max(1, 'must be from 0 to 1');

/** gRPC's DetectOptions: typed already, so only ranges, lengths and names are checked here. */
const messageSchema = z.object({
  scoreThreshold: messageProbability.optional(),
  iouThreshold: messageProbability.optional(),
  maxDetections: z
    .number()
    .int('must be a whole number from 1 to 1000')
    .min(1, 'must be from 1 to 1000')
    .max(1000, 'must be from 1 to 1000')
    .optional(),
  classes: z
    .array(
      z
        .string()
        .min(1, 'has an empty class name')
        .max(
          MAX_CLASS_NAME_CHARS,
          `has a class name longer than ${MAX_CLASS_NAME_CHARS} characters`,
        ),
    )
    .max(MAX_CLASSES, `names more than ${MAX_CLASSES} classes`)
    .optional(),
  resize: z
    .enum(['stretch', 'letterbox'], { error: "must be 'stretch' or 'letterbox'" })
    .optional(),
});

/**
 * gRPC's DetectOptions message, each bad value refused naming its protobuf field (the REST query's
 * rules, worded for gRPC); unset fields take the defaults.
 */
export function detectOptionsFromMessage(
  given: DetectOptionsMessage | undefined,
  defaults: GatewayConfig['detectDefaults'],
): DetectOptions {
  const parsed = messageSchema.safeParse({
    scoreThreshold: given?.scoreThreshold,
    iouThreshold: given?.iouThreshold,
    maxDetections: given?.maxDetections,
    classes: given?.classes.length ? given.classes : undefined,
    resize: given?.resize,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = MESSAGE_FIELDS[issue.path[0] as keyof RawDetectOptions];
    throw invalidArgument(`invalid DetectRequest field '${field}': ${issue.message}`);
  }
  return withDefaults(parsed.data, defaults);
}
