export { missingPrerequisite } from './missing-prerequisite';
export { seededRandom, shuffled } from './seeded-random';
export { watchEventLoop, type EventLoopReading } from './event-loop-watch';
