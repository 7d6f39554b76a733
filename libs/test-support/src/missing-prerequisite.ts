/**
 * The one rule for tests that need an outside tool or server (a Python reference, Postgres, Triton):
 * when it is missing, under CI=true a failing test says what to install (nothing may skip there);
 * elsewhere a skipped test and a warning. Call inside a describe(); returns true when the
 * prerequisite is missing, so the caller registers nothing else.
 */
export function missingPrerequisite(what: string, missing: string | undefined): boolean {
  if (missing === undefined) return false;
  if (process.env.CI === 'true') {
    it(`has ${what} available (required when CI=true)`, () => {
      throw new Error(missing);
    });
  } else {
    console.warn(`Skipping tests that need ${what}: ${missing}`);
    it.skip(`needs ${what}`, () => undefined);
  }
  return true;
}
