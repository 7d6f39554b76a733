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
