/** Metadata key under which @RequireRole records the role a handler needs. */
export const REQUIRED_ROLE = 'controlPlane:requiredRole';
