import { ControlPlaneFailure } from '../../errors/control-plane-error';
import {
  MAX_MODEL_SOURCE_LENGTH,
  formatModelSource,
  parseModelSource,
  type ModelSource,
} from './model-source';

const RUN_ID = '0f3c5a9e8b7d4c2a9e1f0b6d5c4a3b21';

function refusal(source: string): ControlPlaneFailure {
  try {
    parseModelSource(source);
  } catch (error) {
    if (error instanceof ControlPlaneFailure) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(source)} was accepted`);
}

describe('parseModelSource', () => {
  it.each<[string, ModelSource]>([
    [`runs:/${RUN_ID}/model`, { kind: 'run', runId: RUN_ID, artifactPath: 'model' }],
    [
      `runs:/${RUN_ID}/model/model.onnx`,
      { kind: 'run', runId: RUN_ID, artifactPath: 'model/model.onnx' },
    ],
    ['models:/nanodet/3', { kind: 'model-version', name: 'nanodet', version: '3' }],
    ['models:/nano.det-v2_x/12', { kind: 'model-version', name: 'nano.det-v2_x', version: '12' }],
    ['models:/nanodet@champion', { kind: 'model-alias', name: 'nanodet', alias: 'champion' }],
    [
      'models:/nanodet@blue-green_2',
      { kind: 'model-alias', name: 'nanodet', alias: 'blue-green_2' },
    ],
  ])('accepts %s and formats it back', (source, expected) => {
    const parsed = parseModelSource(source);
    expect(parsed).toEqual(expected);
    expect(formatModelSource(parsed)).toBe(source);
  });

  it.each<[string, RegExp]>([
    ['s3://bucket/model.onnx', /is not runs:\/<run id>/],
    ['file:///etc/passwd', /is not runs:\/<run id>/],
    ['runs:/', /no artifact path/],
    [`runs:/${RUN_ID}`, /no artifact path/],
    [`runs:/${RUN_ID}/`, /has no artifact path/],
    [`runs:/${RUN_ID}/../../etc/passwd`, /leaves the run's artifacts/],
    [`runs:/${RUN_ID}/model/../../x`, /leaves the run's artifacts/],
    [`runs:/${RUN_ID}//etc/passwd`, /is absolute/],
    [`runs:/${RUN_ID}/model//x.onnx`, /empty or '\.' segment/],
    [`runs:/${RUN_ID}/./model`, /empty or '\.' segment/],
    [`runs:/${RUN_ID}/model\\..\\x`, /backslash/],
    [`runs:/${RUN_ID}/model\u0000.onnx`, /control characters/],
    ['runs:/../model', /is not an MLflow run id/],
    ['runs:/abc$def/model', /is not an MLflow run id/],
    ['models:/nanodet', /names no version/],
    ['models:/nanodet/latest', /not a version number/],
    ['models:/nanodet/Production', /not a version number/],
    ['models:/nanodet/0', /not a version number/],
    ['models:/nanodet/1/extra', /not a version number/],
    ['models:/../3', /model name "\.\." is not/],
    ['models:/@champion', /model name "" is not/],
    ['models:/nanodet@', /alias "" is not/],
    ['models:/nanodet@a/b', /alias "a\/b" is not/],
    ['models:/nanodet@latest', /reserved by MLflow/],
    ['models:/nanodet@v3', /reserved by MLflow/],
  ])('refuses %j naming the problem', (source, message) => {
    const failure = refusal(source);
    expect(failure.code).toBe('BAD_USER_INPUT');
    expect(failure.message).toMatch(message);
  });

  it('refuses an over-long source before looking at it, saying how long it was', () => {
    const source = `runs:/${RUN_ID}/${'a'.repeat(MAX_MODEL_SOURCE_LENGTH)}`;
    const failure = refusal(source);
    expect(failure.code).toBe('BAD_USER_INPUT');
    expect(failure.message).toContain(`${source.length} characters long`);
  });

  it('quotes at most a bounded part of a hostile source in its message', () => {
    const failure = refusal(`x${'y'.repeat(900)}`);
    expect(failure.message.length).toBeLessThan(300);
  });
});
