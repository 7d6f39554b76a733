import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';
import { expectWriteOnceEnforced, probeWriteOnce } from './support/write-once-probe';

describe('write-once versions and an append-only audit, enforced by the database (PGlite)', () => {
  let dataDir: string | undefined;

  afterAll(() => removeDirectory(dataDir));

  it('refuses changes to every write-once column and to audit events, and allows status and card changes', async () => {
    dataDir = await createTemporaryDirectory('control-plane-write-once');
    expectWriteOnceEnforced(await probeWriteOnce({ dataDir }));
  });
});
