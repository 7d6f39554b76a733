import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { connectionType } from '../../graphql/relay-connection';

export enum AnalysisStateValue {
  running = 'running',
  promoted = 'promoted',
  rolled_back = 'rolled_back',
  aborted = 'aborted',
}
registerEnumType(AnalysisStateValue, { name: 'CanaryAnalysisState' });

export enum AnalysisActionValue {
  step = 'step',
  pause = 'pause',
  promote = 'promote',
  rollback = 'rollback',
}
registerEnumType(AnalysisActionValue, { name: 'AnalysisAction' });

@ObjectType('AnalysisSpec', { description: 'Pacing and thresholds of a canary analysis.' })
export class AnalysisSpecObject {
  @Field(() => Int, { description: 'How often the canary is judged.' })
  intervalSeconds!: number;

  @Field(() => Float, { description: 'Starting weight, and what each passing interval adds.' })
  stepWeightPercent!: number;

  @Field(() => Float)
  maxWeightPercent!: number;

  @Field(() => Int, { description: 'Passing intervals at maxWeightPercent before promotion.' })
  iterations!: number;

  @Field(() => Int, { description: 'Failed judgements before the canary is rolled back.' })
  failureLimit!: number;

  @Field(() => Int, { description: 'Fewer calls on either version in an interval: it pauses.' })
  minCalls!: number;

  @Field(() => Int, { description: 'Fewer compared images: the quality checks pause.' })
  minComparisons!: number;

  @Field(() => Float, {
    description: "Share of stable's calls shadowed to the canary for the quality checks; 0: none.",
  })
  comparisonSamplePercent!: number;

  @Field(() => Float, { description: "Canary error rate minus stable's, at most." })
  maxErrorRateIncrease!: number;

  @Field(() => Float, { description: "Canary p99 latency / stable's, at most." })
  maxP99LatencyRatio!: number;

  @Field(() => Float, { description: "IoU-matched F1 against stable's detections, at least." })
  minAgreementF1!: number;

  @Field(() => Float, { description: 'PSI of the confidence scores, at most.' })
  maxScorePsi!: number;

  @Field(() => Float, { description: "|canary detections per image / stable's - 1|, at most." })
  maxDetectionsPerImageChange!: number;
}

@ObjectType('AnalysisMeasurement', { description: 'One check of one judgement.' })
export class AnalysisMeasurementObject {
  @Field({ description: 'error_rate, p99_latency_ms, agreement_f1, score_psi, ...' })
  check!: string;

  @Field(() => Float, { nullable: true })
  stableValue!: number | null;

  @Field(() => Float, { nullable: true })
  canaryValue!: number | null;

  @Field(() => Float, { nullable: true, description: 'The compared value.' })
  value!: number | null;

  @Field(() => Float, { nullable: true })
  threshold!: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Null: too little data to judge.' })
  passed!: boolean | null;

  @Field(() => Float)
  samples!: number;
}

@ObjectType('AnalysisDecision', { description: 'One judgement of a canary analysis.' })
export class AnalysisDecisionObject {
  id!: string;

  @Field(() => Int)
  iteration!: number;

  @Field(() => AnalysisActionValue)
  action!: AnalysisActionValue;

  @Field()
  reason!: string;

  @Field(() => Float, { description: "The canary's weight after the decision." })
  canaryWeightPercent!: number;

  @Field(() => [AnalysisMeasurementObject])
  measurements!: AnalysisMeasurementObject[];

  @Field(() => String, { nullable: true, description: 'The revision the decision made, if any.' })
  revision!: string | null;

  @Field()
  createdAt!: Date;
}

export const AnalysisDecisionConnection = connectionType(
  AnalysisDecisionObject,
  'AnalysisDecision',
);

@ObjectType('CanaryAnalysis', {
  description: 'An automated canary analysis: steps the canary up, then promotes or rolls back.',
})
export class CanaryAnalysisObject {
  @Field(() => ID)
  id!: string;

  @Field(() => AnalysisStateValue)
  state!: AnalysisStateValue;

  @Field(() => AnalysisSpecObject)
  spec!: AnalysisSpecObject;

  @Field()
  canaryVersion!: string;

  @Field()
  startedBy!: string;

  @Field()
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => String, { nullable: true })
  outcomeReason!: string | null;

  @Field(() => Int, { description: 'Judgements so far.' })
  iterations!: number;

  @Field(() => Int, { description: 'Judgements with a failed check.' })
  failures!: number;

  @Field(() => Int)
  passesAtMaxWeight!: number;

  @Field(() => Date, { nullable: true })
  lastDecisionAt!: Date | null;
}

export const CanaryAnalysisConnection = connectionType(CanaryAnalysisObject, 'CanaryAnalysis');
