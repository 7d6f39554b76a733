import * as path from 'node:path';
import { loadControlPlaneConfig } from './control-plane-config';

const cwd = '/srv/app';

describe('loadControlPlaneConfig', () => {
  it('applies defaults, resolving paths against the working directory', () => {
    expect(loadControlPlaneConfig({}, cwd)).toEqual({
      nodeEnv: 'development',
      host: '0.0.0.0',
      port: 4000,
      databaseUrl: undefined,
      dataDir: path.join(cwd, '.data/control-plane'),
      modelRepository: path.join(cwd, 'triton-models'),
      graphqlSchemaFile: path.join(cwd, 'control-plane/schema.graphql'),
    });
  });

  it('reads every variable', () => {
    const config = loadControlPlaneConfig(
      {
        NODE_ENV: 'production',
        CONTROL_PLANE_HOST: '127.0.0.1',
        CONTROL_PLANE_PORT: '4100',
        DATABASE_URL: 'postgresql://registry:secret@db:5432/registry',
        CONTROL_PLANE_DATA_DIR: '/var/lib/control-plane',
        MODEL_REPOSITORY: '../models',
      },
      cwd,
    );
    expect(config).toEqual({
      nodeEnv: 'production',
      host: '127.0.0.1',
      port: 4100,
      databaseUrl: 'postgresql://registry:secret@db:5432/registry',
      dataDir: '/var/lib/control-plane',
      modelRepository: '/srv/models',
      graphqlSchemaFile: null,
    });
  });

  it('treats empty values as unset', () => {
    const config = loadControlPlaneConfig({ CONTROL_PLANE_PORT: '', DATABASE_URL: '' }, cwd);
    expect(config.port).toBe(4000);
    expect(config.databaseUrl).toBeUndefined();
  });

  it.each([
    ['CONTROL_PLANE_PORT', 'abc', 'CONTROL_PLANE_PORT must be an integer 1-65535 (got "abc")'],
    ['CONTROL_PLANE_PORT', '0', 'CONTROL_PLANE_PORT must be an integer 1-65535 (got "0")'],
    ['CONTROL_PLANE_PORT', '65536', 'CONTROL_PLANE_PORT must be an integer 1-65535 (got "65536")'],
    ['CONTROL_PLANE_PORT', '40.5', 'CONTROL_PLANE_PORT must be an integer 1-65535 (got "40.5")'],
    [
      'DATABASE_URL',
      'mysql://db/registry',
      'DATABASE_URL must be a postgres:// or postgresql:// URL (got "mysql://db/registry")',
    ],
    [
      'NODE_ENV',
      'staging',
      'NODE_ENV must be one of development, production, test (got "staging")',
    ],
    ['MODEL_REPOSITORY', '   ', 'MODEL_REPOSITORY must be a non-empty path (got "   ")'],
  ])('rejects %s=%j with a message naming it', (name, value, message) => {
    expect(() => loadControlPlaneConfig({ [name]: value }, cwd)).toThrow(
      `Invalid configuration: ${message}`,
    );
  });

  it('reports every bad variable at once', () => {
    expect(() =>
      loadControlPlaneConfig({ CONTROL_PLANE_PORT: 'abc', DATABASE_URL: 'nope' }, cwd),
    ).toThrow(
      'Invalid configuration: CONTROL_PLANE_PORT must be an integer 1-65535 (got "abc"); ' +
        'DATABASE_URL must be a postgres:// or postgresql:// URL (got "nope")',
    );
  });
});
