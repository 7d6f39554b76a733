import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  GATEWAY_NODE_FLAGS,
  GATEWAY_PROCESS_ENV,
} from '../../../load-tests/lib/gateway-node-flags';

const REPO_ROOT = resolve(__dirname, '../../..');

/** How each production start command runs the gateway: `VAR=value ... node --flag ... main.js`. */
const START_COMMANDS = {
  'package.json start:gateway': (
    JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts['start:gateway'],
  'scripts/quickstart.sh': readFileSync(resolve(REPO_ROOT, 'scripts/quickstart.sh'), 'utf8')
    .split('\n')
    .find((line) => line.includes('dist/gateway/gateway/src/main.js')),
};

describe('the commands that start the gateway in production', () => {
  it.each(Object.entries(START_COMMANDS))(
    '%s sets the process environment and node flags that tests and benchmarks use',
    (_name, command) => {
      const expected = [
        ...Object.entries(GATEWAY_PROCESS_ENV).map(([name, value]) => `${name}=${value}`),
        'node',
        ...GATEWAY_NODE_FLAGS,
        'dist/gateway/gateway/src/main.js',
      ].join(' ');
      expect(command).toContain(expected);
    },
  );
});
