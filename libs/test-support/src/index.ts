export { missingPrerequisite } from './missing-prerequisite';
export { seededRandom, shuffled } from './seeded-random';
