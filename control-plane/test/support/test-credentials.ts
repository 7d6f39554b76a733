import { generateApiKey } from '@auth';

/**
 * The admin key every test control plane is started with (CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY) and
 * every test client presents unless told otherwise: one per test run, never a constant in the code.
 */
export const TEST_ADMIN_KEY = generateApiKey().key;
