import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  detectSampleImages,
  SAMPLE_CASES,
  SAMPLE_DETECTIONS_FIXTURE,
  type SampleOutput,
} from './sample-detections';

/**
 * Tolerances against the outputs recorded before the detect hot paths were reworked: the model
 * input must be bit-identical (same sha256); unrounded boxes may move by float rounding only, and
 * the API's answer (boxes rounded to 0.1 px, scores to 1e-4) by at most one rounding step.
 */
const RAW_BOX_TOLERANCE_PX = 1e-3;
const RAW_SCORE_TOLERANCE = 1e-6;
const ANSWER_BOX_TOLERANCE_PX = 0.1 + 1e-9;
const ANSWER_SCORE_TOLERANCE = 1e-4 + 1e-9;

interface Fixture {
  modelSha256: string;
  cases: SampleOutput[];
}

const fixture = JSON.parse(readFileSync(SAMPLE_DETECTIONS_FIXTURE, 'utf8')) as Fixture;

function maxDifference(a: readonly number[], b: readonly number[]): number {
  return Math.max(...a.map((value, index) => Math.abs(value - b[index])));
}

describe('detect pipeline outputs on the sample images (recorded before the hot-path rework)', () => {
  let outputs: SampleOutput[];

  beforeAll(async () => {
    outputs = await detectSampleImages();
  });

  it('is recorded for the committed model and every sample case', () => {
    const model = resolve(__dirname, '../../triton-models/nanodet/1/model.onnx');
    expect(createHash('sha256').update(readFileSync(model)).digest('hex')).toBe(
      fixture.modelSha256,
    );
    expect(fixture.cases.map(({ image, options }) => ({ image, options }))).toEqual(
      SAMPLE_CASES.map(({ name, options }) => ({ image: name, options })),
    );
  });

  it.each(SAMPLE_CASES.map((sample, index) => [index, sample.name, sample.options] as const))(
    'case %i (%s, %j): same model input, same detections',
    (index) => {
      const expected = fixture.cases[index];
      const actual = outputs[index];
      expect(actual.inputSha256).toBe(expected.inputSha256);

      // Same classes in the same order; boxes and scores within the stated tolerances.
      expect(actual.raw.map(([classId]) => classId)).toEqual(
        expected.raw.map(([classId]) => classId),
      );
      actual.raw.forEach(([, score, ...box], at) => {
        const [, expectedScore, ...expectedBox] = expected.raw[at];
        expect(Math.abs(score - expectedScore)).toBeLessThanOrEqual(RAW_SCORE_TOLERANCE);
        expect(maxDifference(box, expectedBox)).toBeLessThanOrEqual(RAW_BOX_TOLERANCE_PX);
      });

      expect(actual.answer.map(({ label, classId }) => [label, classId])).toEqual(
        expected.answer.map(({ label, classId }) => [label, classId]),
      );
      actual.answer.forEach((detection, at) => {
        const wanted = expected.answer[at];
        expect(Math.abs(detection.score - wanted.score)).toBeLessThanOrEqual(
          ANSWER_SCORE_TOLERANCE,
        );
        expect(maxDifference(detection.box, wanted.box)).toBeLessThanOrEqual(
          ANSWER_BOX_TOLERANCE_PX,
        );
      });
    },
  );
});
