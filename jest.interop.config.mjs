/**
 * The interop tier: specs (*.interop.spec.ts under gateway/test/interop/ and control-plane/test/) that start real servers
 * (NVIDIA Triton, ...) as separate processes; `npm run test:interop`. Same transform and module
 * mapping as jest.config.js; one spec file at a time, since each starts its own servers.
 */
import base from './jest.config.js';

export default {
  ...base,
  roots: ['<rootDir>/gateway/test/interop', '<rootDir>/control-plane/test'],
  testMatch: ['**/*.interop.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 120000,
};
