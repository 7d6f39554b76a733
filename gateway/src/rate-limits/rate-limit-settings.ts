import { z } from 'zod';

// Whole units per second: the Redis store keeps integer counters per whole-second window.
const perSecond = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number per second' })
  .min(0, { error: 'must be 0 (unlimited) or more' })
  .max(1_000_000_000, { error: 'must be at most 1000000000' });

const rates = z.strictObject({
  requestsPerSecond: perSecond.optional(),
  imagesPerSecond: perSecond.optional(),
});

const tenantRates = z.strictObject({
  requestsPerSecond: perSecond.optional(),
  imagesPerSecond: perSecond.optional(),
  /** Applies to each model separately (tenant × model), unless `models` names the model. */
  perModel: rates.optional(),
  /** Per-model overrides of `perModel`, by model name. */
  models: z.record(z.string().min(1), rates).optional(),
});

const settingsSchema = z.strictObject({
  default: tenantRates.optional(),
  tenants: z.record(z.string().min(1), tenantRates).optional(),
});

export type Rates = z.infer<typeof rates>;
export type TenantRates = z.infer<typeof tenantRates>;

/** `GATEWAY_RATE_LIMITS`, with the built-in defaults under `default`. 0 or absent = unlimited. */
export interface RateLimitSettings {
  default: TenantRates;
  tenants: Record<string, TenantRates>;
}

/**
 * A ceiling far above what one replica serves, so limits are opt-in in practice (and existing
 * clients, tests and benchmarks are never limited); operators set real values per tenant.
 */
export const BUILT_IN_DEFAULT: Readonly<TenantRates> = {
  requestsPerSecond: 10_000,
  imagesPerSecond: 10_000,
};

/** Parses the JSON of `GATEWAY_RATE_LIMITS`; each problem names its path inside the JSON. */
export function parseRateLimitSettings(
  json: string | undefined,
): { settings: RateLimitSettings } | { problems: string[] } {
  if (json === undefined || json.trim() === '') {
    return { settings: { default: { ...BUILT_IN_DEFAULT }, tenants: {} } };
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return { problems: [`is not valid JSON: ${(error as Error).message}`] };
  }
  const parsed = settingsSchema.safeParse(value);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map(
        (issue) =>
          `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`,
      ),
    };
  }
  return {
    settings: {
      default: { ...BUILT_IN_DEFAULT, ...parsed.data.default },
      tenants: parsed.data.tenants ?? {},
    },
  };
}

/** The limits that apply to one call; 0 = unlimited. */
export interface ResolvedRates {
  tenantRequests: number;
  tenantImages: number;
  modelRequests: number;
  modelImages: number;
}

/**
 * Field by field, the most specific setting wins: for the tenant, its entry then `default`; for
 * tenant × model, the tenant's `models[model]`, its `perModel`, then the same two under `default`.
 */
export function resolveRates(
  settings: RateLimitSettings,
  tenant: string,
  model: string,
): ResolvedRates {
  const own = Object.hasOwn(settings.tenants, tenant) ? settings.tenants[tenant] : undefined;
  const fallback = settings.default;
  const modelLevels = [
    own?.models && Object.hasOwn(own.models, model) ? own.models[model] : undefined,
    own?.perModel,
    fallback.models && Object.hasOwn(fallback.models, model) ? fallback.models[model] : undefined,
    fallback.perModel,
  ];
  const first = (levels: (Rates | undefined)[], field: keyof Rates): number =>
    levels.find((level) => level?.[field] !== undefined)?.[field] ?? 0;
  return {
    tenantRequests: first([own, fallback], 'requestsPerSecond'),
    tenantImages: first([own, fallback], 'imagesPerSecond'),
    modelRequests: first(modelLevels, 'requestsPerSecond'),
    modelImages: first(modelLevels, 'imagesPerSecond'),
  };
}
