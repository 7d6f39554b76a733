export { missingPrerequisite } from './missing-prerequisite';
