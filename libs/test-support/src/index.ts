export { missingPrerequisite } from './missing-prerequisite';
export { seededRandom, shuffled } from './seeded-random';
export { watchEventLoop, type EventLoopReading } from './event-loop-watch';
export { clockTicks, cpuSeconds, memory, resetPeakRss, type MemorySnapshot } from './process-stats';
export {
  describeProcessCost,
  meterProcess,
  processCostBreaches,
  type InsideReading,
  type MeteredProcess,
  type MeterOptions,
  type ProcessCost,
  type ProcessCostLimits,
} from './process-cost';
export {
  startChildService,
  type ChildResult,
  type ChildService,
  type ChildServiceOptions,
  type ReadyWhen,
} from './child-service';
export { SAMPLE_MEDIA, readSampleMedia } from './sample-media';
export { extractVideoFrames, type FrameExtraction } from './video-frames';
export { numberFrom } from './env-number';
export { apiKeyInterceptor } from './api-key-interceptor';
export { pidAlive, sleep, until } from './polling';
export {
  CHROMIUM_PATH,
  chromiumMissing,
  launchChromium,
  servePage,
  type ServedPage,
} from './browser';
