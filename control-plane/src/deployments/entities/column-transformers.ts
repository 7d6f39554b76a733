/**
 * Revision and decision ids are Postgres bigints; pg hands int8 over as a string, and the ids are
 * kept as strings (exact at any size) wherever they travel, as the audit's ids are.
 */
export const bigintAsString = {
  to: (value: string | null | undefined): string | null | undefined => value,
  from: (value: string | number | null): string | null => (value === null ? null : String(value)),
};

/** Percentages are `numeric` (exact, so a stored spec compares equal to the one given). */
export const numericAsNumber = {
  to: (value: number): number => value,
  from: (value: string | number): number => Number(value),
};
