import { copyFile, mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { GRAPHQL_SCHEMA_FILE } from '../src/config/control-plane-config';
import { ControlPlaneProcess } from './support/control-plane-process';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';
import { REPOSITORY_ROOT } from './support/typescript-process';

/**
 * The committed SDL is the contract clients read; it must be exactly what the app generates.
 * Run with UPDATE_GRAPHQL_SCHEMA=1 to rewrite it (as does starting the app in development).
 */
describe('GraphQL schema', () => {
  let workDir: string | undefined;

  afterAll(() => removeDirectory(workDir));

  it(`matches the committed ${GRAPHQL_SCHEMA_FILE}`, async () => {
    workDir = await createTemporaryDirectory('control-plane-schema');
    const repository = path.join(workDir, 'empty-model-repository');
    await mkdir(repository);
    // In development the app writes the SDL under its working directory; run it in a temp one.
    const app = await ControlPlaneProcess.start(
      {
        NODE_ENV: 'development',
        MODEL_REPOSITORY: repository,
        CONTROL_PLANE_DATA_DIR: path.join(workDir, 'data'),
      },
      { cwd: workDir },
    );
    await app.stop();
    const generatedFile = path.join(workDir, GRAPHQL_SCHEMA_FILE);
    const committedFile = path.join(REPOSITORY_ROOT, GRAPHQL_SCHEMA_FILE);
    if (process.env.UPDATE_GRAPHQL_SCHEMA === '1') await copyFile(generatedFile, committedFile);
    const committed = await readFile(committedFile, 'utf8').catch(() => '(missing)');
    expect(await readFile(generatedFile, 'utf8')).toBe(committed);
  });
});
