/**
 * The control plane's lines in LOG_FORMAT=json: one JSON object per line from the shared logger
 * (`@logging`, the gateway's redaction), `service: "control-plane"`, with no credential in any of
 * them after calls with a valid key and with a wrong one.
 */
import * as path from 'node:path';
import { ControlPlaneProcess } from './support/control-plane-process';
import { createFixtureModelRepository } from './support/fixture-model-repository';
import { postGraphql } from './support/graphql-client';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';
import { TEST_ADMIN_KEY } from './support/test-credentials';

describe('control plane logs (LOG_FORMAT=json)', () => {
  let workDir: string;
  let controlPlane: ControlPlaneProcess | undefined;

  beforeAll(async () => {
    workDir = await createTemporaryDirectory('control-plane-json-logs');
    const repository = path.join(workDir, 'models');
    await createFixtureModelRepository(repository);
    controlPlane = await ControlPlaneProcess.start({
      MODEL_REPOSITORY: repository,
      CONTROL_PLANE_DATA_DIR: path.join(workDir, 'data'),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'debug',
    });
  }, 120_000);

  afterAll(async () => {
    await controlPlane?.stop();
    await removeDirectory(workDir);
  });

  it('writes every line as JSON from the shared logger, and never a credential', async () => {
    const running = controlPlane!;
    const allowed = await postGraphql(running.baseUrl, '{ models { nodes { name } } }');
    expect(allowed.status).toBe(200);
    const [prefix, id, secret] = TEST_ADMIN_KEY.split('_');
    const wrong = `${prefix}_${id}_${'x'.repeat(secret.length)}`;
    const refused = await postGraphql(running.baseUrl, '{ models { nodes { name } } }', undefined, {
      credential: wrong,
    });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const output = (await running.stop()).output;
    controlPlane = undefined;

    const lines = output.split('\n').filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({
        service: 'control-plane',
        level: expect.any(String),
        time: expect.any(String),
      });
    }
    expect(lines.some((line) => line.includes('Listening on http://127.0.0.1:'))).toBe(true);
    expect(output).not.toContain(secret);
    expect(output).not.toContain('x'.repeat(secret.length));
  });
});
