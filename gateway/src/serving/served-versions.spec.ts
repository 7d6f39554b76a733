import { plainBackend, plainModelMetadata } from '../../test/model-metadata-fixture';
import type { ModelMetadata } from '../request-path/inference-backend';
import { servedVersion } from '../inference/resolve-version';
import type { VersionPart } from './served-version';
import { ServedVersions } from './served-versions';

/** A part that counts what it built and closed. */
function countingPart() {
  const log: string[] = [];
  const part: VersionPart<{ version: string }> = {
    name: 'counting',
    build: ({ target: { version } }) => {
      log.push(`build ${version}`);
      return { version };
    },
    close: ({ version }) => log.push(`close ${version}`),
  };
  return { log, part };
}

describe('ServedVersions: per-version state lives exactly as long as its version', () => {
  let served: ModelMetadata;
  let versions: ServedVersions;

  beforeEach(() => {
    served = plainModelMetadata(['1', '2']);
    const backend = plainBackend(served);
    // What the backend serves now: the test changes it as a reload or an unload would.
    backend.listModels = () => [served];
    backend.resolve = (_model, version) => servedVersion(served, version);
    versions = new ServedVersions(backend);
  });
  afterEach(() => versions.onApplicationShutdown());

  it('builds a part once per version, on first use', () => {
    const { log, part } = countingPart();
    const one = versions.of(servedVersion(served, '1'));
    expect(one.part(part)).toBe(versions.of(servedVersion(served, '1')).part(part));
    versions.of(servedVersion(served, '2')).part(part);
    expect(log).toEqual(['build 1', 'build 2']);
    expect(versions.find('m', '1')?.peek(part)).toEqual({ version: '1' });
  });

  it('rebuilds the state of a version the backend reloaded with a new configuration, closing the old', () => {
    const { log, part } = countingPart();
    const before = versions.of(servedVersion(served, '1')).part(part);
    const stale = servedVersion(served, '1');
    served = { ...served, parameters: { changed: 'yes' } };
    const after = versions.of(servedVersion(served, '1')).part(part);
    expect(after).not.toBe(before);
    expect(log).toEqual(['build 1', 'close 1', 'build 1']);
    // A call that resolved the old metadata just before the reload gets the current state.
    expect(versions.of(stale).part(part)).toBe(after);
  });

  it('drops, closing its parts, a version the backend no longer serves', () => {
    const { log, part } = countingPart();
    versions.of(servedVersion(served, '1')).part(part);
    versions.of(servedVersion(served, '2')).part(part);
    served = { ...served, versions: ['2'] };
    versions.sweep();
    expect(versions.find('m', '1')).toBeUndefined();
    expect(versions.find('m', '2')).toBeDefined();
    expect(log).toEqual(['build 1', 'build 2', 'close 1']);
  });
});
