import { pendingSchemaChangesOf } from './support/run-pending-schema-changes';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';

describe('database migrations (PGlite)', () => {
  let dataDir: string | undefined;

  afterAll(() => removeDirectory(dataDir));

  it('leave nothing for TypeORM to generate from the entities', async () => {
    dataDir = await createTemporaryDirectory('control-plane-migrations');
    expect(await pendingSchemaChangesOf({ dataDir })).toEqual([]);
  });
});
