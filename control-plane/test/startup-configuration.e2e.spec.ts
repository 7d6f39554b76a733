import { runTypeScript } from './support/typescript-process';

describe('control plane start-up with a bad setting', () => {
  it('stops with an error naming the variable and its value', async () => {
    const result = await runTypeScript('control-plane/src/main.ts', { CONTROL_PLANE_PORT: 'abc' });
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain(
      'Invalid configuration: CONTROL_PLANE_PORT must be an integer 1-65535 (got "abc")',
    );
  });
});
