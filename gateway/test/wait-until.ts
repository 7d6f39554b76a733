/** Waiting in tests: `until` now lives in @test-support (polling.ts); re-exported for old imports. */
export { until } from '@test-support';
