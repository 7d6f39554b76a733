/** Unit and end-to-end tests of both applications; end-to-end tests start the real apps in-process. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
  },
];

module.exports = {
  // One V8 realm for tests and the code under test: native addons (onnxruntime-node, sharp) check
  // typed arrays with instanceof, which fails across Jest's default per-file sandbox realm.
  testEnvironment: 'jest-environment-node-single-context',
  roots: ['<rootDir>/gateway', '<rootDir>/control-plane', '<rootDir>/libs'],
  testMatch: ['**/*.spec.ts'],
  // The interop tier (real Triton, ...) runs on its own: jest -c jest.interop.config.mjs.
  testPathIgnorePatterns: ['/node_modules/', '\\.interop\\.spec\\.ts$'],
  // jose ships only ES modules; Jest's CommonJS runtime needs them compiled like our sources. The
  // OTLP exporter's CommonJS build loads http with import(), which Jest's vm refuses (Node runs it).
  transform: {
    '^.+\\.ts$': swc,
    '/node_modules/(jose|@opentelemetry/otlp-exporter-base)/.+\\.c?js$': swc,
  },
  transformIgnorePatterns: ['/node_modules/(?!(jose|@opentelemetry/otlp-exporter-base)/)'],
  moduleNameMapper: {
    '^@contracts/(.*)$': '<rootDir>/libs/contracts/src/$1',
    '^@model-repository$': '<rootDir>/libs/model-repository/src',
    '^@vision-math$': '<rootDir>/libs/vision-math/src',
    '^@vision-tracking$': '<rootDir>/libs/vision-tracking/src',
    '^@vision-reid$': '<rootDir>/libs/vision-reid/src',
    '^@vision-forecast$': '<rootDir>/libs/vision-forecast/src',
    '^@test-support$': '<rootDir>/libs/test-support/src',
    '^@http-edge$': '<rootDir>/libs/http-edge/src',
    '^@logging$': '<rootDir>/libs/logging/src',
    '^@auth$': '<rootDir>/libs/auth/src',
  },
  testTimeout: 60000,
};
