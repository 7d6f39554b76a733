/**
 * Orders Triton version names: numerically (as Triton does, "10" after "9"), with any
 * non-numeric names after the numeric ones in plain string order.
 */
export function compareVersionNames(a: string, b: string): number {
  const numericA = /^\d+$/.test(a);
  const numericB = /^\d+$/.test(b);
  if (numericA && numericB) {
    return a.length === b.length ? a.localeCompare(b) : a.length - b.length;
  }
  if (numericA !== numericB) return numericA ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The folder name of a model's next version: one past its highest numeric version, "1" for the first. */
export function nextVersionName(existing: readonly string[]): string {
  const highest = existing
    .filter((name) => /^\d{1,15}$/.test(name))
    .reduce((max, name) => Math.max(max, Number(name)), 0);
  return String(highest + 1);
}
