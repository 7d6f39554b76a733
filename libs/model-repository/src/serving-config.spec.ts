import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseModelConfig } from './config-pbtxt';
import { servingConfigText } from './serving-config';
import { interpretModelConfig } from './validate-config';

const NANODET_CONFIG = readFileSync(
  path.join(__dirname, '../../../triton-models/nanodet/config.pbtxt'),
  'utf8',
);

describe('servingConfigText', () => {
  it('keeps every field of the registered config and serves exactly the given versions', () => {
    const text = servingConfigText(NANODET_CONFIG, ['2', '3']);
    const written = parseModelConfig(text, 'written');
    const original = parseModelConfig(NANODET_CONFIG, 'original');
    expect(written.versionPolicy?.policyChoice).toEqual({
      case: 'specific',
      value: expect.objectContaining({ versions: [2n, 3n] }),
    });
    expect({ ...written, versionPolicy: undefined }).toEqual({
      ...original,
      versionPolicy: undefined,
    });
    const interpreted = interpretModelConfig(written, {
      directoryName: 'nanodet',
      source: 'written',
    });
    expect(interpreted.inputs).toEqual(
      interpretModelConfig(original, { directoryName: 'nanodet', source: 'original' }).inputs,
    );
  });
});
