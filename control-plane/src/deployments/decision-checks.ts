import { type AnalysisDecisionInput } from './canary-analysis-contract';
import { checkPercent, checkReason, refuse } from './deployment-spec-checks';
import { ANALYSIS_ACTIONS } from './entities/analysis-decision.entity';

const MAX_MEASUREMENTS = 32;
const MAX_CHECK_NAME_CHARS = 64;

/** A judgement is stored as given: its size is bounded, and its action and weight must make sense. */
export function checkDecision(decision: AnalysisDecisionInput): void {
  if (!ANALYSIS_ACTIONS.includes(decision.action)) {
    throw refuse(
      'decision.action',
      `decision.action ${JSON.stringify(decision.action)} is not one of ${ANALYSIS_ACTIONS.join(', ')}`,
    );
  }
  checkReason(decision.reason, 'decision.reason');
  checkPercent(decision.canaryWeightPercent, 'decision.canaryWeightPercent');
  if (decision.measurements.length > MAX_MEASUREMENTS) {
    throw refuse('decision.measurements', `at most ${MAX_MEASUREMENTS} measurements`);
  }
  for (const measurement of decision.measurements) {
    if (measurement.check.length === 0 || measurement.check.length > MAX_CHECK_NAME_CHARS) {
      throw refuse(
        'decision.measurements',
        `a measurement's check must be 1-${MAX_CHECK_NAME_CHARS} characters`,
      );
    }
  }
}
