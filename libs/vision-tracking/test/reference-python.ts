/**
 * The Python references of the tracking conformance tests: supervision 0.30.9 in .venv (numpy 2)
 * and motmetrics 1.4.0 in .venv-mot (numpy < 2), each found through an environment variable.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '../../..');
export const TEST_REFERENCE = path.join(repoRoot, 'libs/vision-tracking/test-reference');

/** Interpreter with supervision==0.30.9 (PYTHON, default .venv/bin/python). */
export const referencePython = process.env.PYTHON ?? path.join(repoRoot, '.venv/bin/python');
/** Interpreter with motmetrics==1.4.0 (MOT_PYTHON, default .venv-mot/bin/python). */
export const motPython = process.env.MOT_PYTHON ?? path.join(repoRoot, '.venv-mot/bin/python');

/** Why `python` cannot run `check`, with the command that fixes it; undefined when it can. */
export function probePython(python: string, check: string, fix: string): string | undefined {
  const probe = spawnSync(python, ['-c', check], { encoding: 'utf8' });
  if (probe.error === undefined && probe.status === 0) return undefined;
  const why = probe.error?.message ?? probe.stderr.trim().split('\n').pop() ?? '';
  return `"${python} -c '${check}'" failed (${why}). ${fix}`;
}

export const SUPERVISION_MISSING_FIX =
  'Install it with: python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements-test.txt ' +
  '(or run scripts/setup.sh --test, or point PYTHON at an interpreter with supervision==0.30.9).';

export const MOTMETRICS_MISSING_FIX =
  'Install it with: python3 -m venv .venv-mot && .venv-mot/bin/pip install -r scripts/requirements-mot.txt ' +
  '(or run scripts/setup.sh --test, or point MOT_PYTHON at an interpreter with motmetrics==1.4.0 and numpy<2).';

export function probeSupervision(): string | undefined {
  return probePython(
    referencePython,
    "import supervision; assert supervision.__version__ == '0.30.9', supervision.__version__",
    SUPERVISION_MISSING_FIX,
  );
}

export function probeMotmetrics(): string | undefined {
  return probePython(
    motPython,
    "import motmetrics; assert motmetrics.__version__ == '1.4.0', motmetrics.__version__",
    MOTMETRICS_MISSING_FIX,
  );
}

/** Runs a script of test-reference/ with JSON on stdin and parses its JSON stdout. */
export function runReferenceScript<T>(
  python: string,
  script: string,
  input: unknown,
  args: string[] = [],
): T {
  const result = spawnSync(python, [path.join(TEST_REFERENCE, script), ...args], {
    input: input === undefined ? '' : JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(
      `${script} failed (status ${result.status}): ${result.error?.message ?? result.stderr}`,
    );
  }
  return JSON.parse(result.stdout) as T;
}
