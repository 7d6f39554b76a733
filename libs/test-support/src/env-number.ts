/**
 * A number setting from the environment (a benchmark's size, a fuzz seed): `fallback` when unset
 * or blank, else a finite number at least `min` (or above `{ above }`); anything else fails naming
 * the variable, so a typo never runs with a silently different setting.
 */
export function numberFrom<Fallback extends number | undefined>(
  env: NodeJS.ProcessEnv,
  key: string,
  fallback: Fallback,
  min: number | { above: number } = 0,
): number | Fallback {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  const inRange = typeof min === 'number' ? value >= min : value > min.above;
  if (!Number.isFinite(value) || !inRange) {
    const range =
      typeof min === 'number' ? (min === -Infinity ? '' : ` ≥ ${min}`) : ` > ${min.above}`;
    throw new Error(`${key} must be a number${range}, got '${raw}'`);
  }
  return value;
}
