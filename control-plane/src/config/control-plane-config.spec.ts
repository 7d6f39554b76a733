import * as path from 'node:path';
import { loadControlPlaneConfig } from './control-plane-config';

const cwd = '/srv/app';

describe('loadControlPlaneConfig', () => {
  it('applies defaults, resolving paths against the working directory', () => {
    expect(loadControlPlaneConfig({}, cwd)).toEqual({
      nodeEnv: 'development',
      logging: { level: 'log', format: 'pretty' },
      host: '0.0.0.0',
      port: 4000,
      databaseUrl: undefined,
      dataDir: path.join(cwd, '.data/control-plane'),
      modelRepository: path.join(cwd, 'triton-models'),
      graphqlSchemaFile: path.join(cwd, 'control-plane/schema.graphql'),
      http: {
        maxBodyBytes: 65536,
        maxPendingBodyBytes: 16 * 1024 * 1024,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 15_000,
        keepAliveTimeoutMs: 72_000,
        idleTimeoutMs: 60_000,
        maxConnections: 1000,
        hstsMaxAgeSeconds: 31_536_000,
        corsOrigins: [],
      },
      graphql: {
        introspection: true,
        maxTokens: 1000,
        maxDepth: 15,
        maxAliases: 20,
        maxFields: 500,
        maxComplexity: 10_000,
      },
      uploads: { maxBytes: 2 * 1024 ** 3, ttlSeconds: 86_400, requestTimeoutMs: 3_600_000 },
      backends: { endpoints: [], timeoutMs: 120_000 },
      grpc: { host: '0.0.0.0', port: 4001 },
      mlflow: { trackingUri: undefined, token: undefined, timeoutMs: 30_000 },
      auth: { bootstrapAdminKey: undefined, apiKeyCacheTtlMs: 30_000, jwt: undefined },
    });
  });

  it('reads every variable', () => {
    const config = loadControlPlaneConfig(
      {
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'pretty',
        CONTROL_PLANE_HOST: '127.0.0.1',
        CONTROL_PLANE_PORT: '4100',
        CONTROL_PLANE_GRPC_HOST: '10.0.0.1',
        CONTROL_PLANE_GRPC_PORT: '4101',
        DATABASE_URL: 'postgresql://registry:secret@db:5432/registry',
        CONTROL_PLANE_DATA_DIR: '/var/lib/control-plane',
        MODEL_REPOSITORY: '../models',
        CONTROL_PLANE_MAX_BODY_BYTES: '131072',
        CONTROL_PLANE_MAX_PENDING_BODY_BYTES: '1048576',
        CONTROL_PLANE_HEADERS_TIMEOUT_MS: '5000',
        CONTROL_PLANE_REQUEST_TIMEOUT_MS: '20000',
        CONTROL_PLANE_KEEP_ALIVE_TIMEOUT_MS: '65000',
        CONTROL_PLANE_IDLE_TIMEOUT_MS: '30000',
        CONTROL_PLANE_MAX_CONNECTIONS: '200',
        CONTROL_PLANE_HSTS_MAX_AGE_SECONDS: '0',
        CONTROL_PLANE_GRAPHQL_INTROSPECTION: 'true',
        CONTROL_PLANE_GRAPHQL_MAX_TOKENS: '2000',
        CONTROL_PLANE_GRAPHQL_MAX_DEPTH: '8',
        CONTROL_PLANE_GRAPHQL_MAX_ALIASES: '0',
        CONTROL_PLANE_GRAPHQL_MAX_FIELDS: '100',
        CONTROL_PLANE_GRAPHQL_MAX_COMPLEXITY: '500',
        CONTROL_PLANE_MAX_UPLOAD_BYTES: '10485760',
        CONTROL_PLANE_UPLOAD_TTL_SECONDS: '3600',
        CONTROL_PLANE_UPLOAD_REQUEST_TIMEOUT_MS: '600000',
        CONTROL_PLANE_BACKENDS: 'triton-a=triton-0.triton:8001, gateway=[::1]:8081',
        CONTROL_PLANE_BACKEND_API_KEY: 'tcg_key',
        CONTROL_PLANE_BACKEND_TIMEOUT_MS: '60000',
        MLFLOW_TRACKING_URI: 'http://mlflow:5000',
        MLFLOW_TRACKING_TOKEN: 'token',
        CONTROL_PLANE_MLFLOW_TIMEOUT_MS: '5000',
      },
      cwd,
    );
    expect(config).toEqual({
      nodeEnv: 'production',
      logging: { level: 'warn', format: 'pretty' },
      host: '127.0.0.1',
      port: 4100,
      databaseUrl: 'postgresql://registry:secret@db:5432/registry',
      dataDir: '/var/lib/control-plane',
      modelRepository: '/srv/models',
      graphqlSchemaFile: null,
      http: {
        maxBodyBytes: 131072,
        maxPendingBodyBytes: 1048576,
        headersTimeoutMs: 5000,
        requestTimeoutMs: 20000,
        keepAliveTimeoutMs: 65000,
        idleTimeoutMs: 30000,
        maxConnections: 200,
        hstsMaxAgeSeconds: 0,
        corsOrigins: [],
      },
      graphql: {
        introspection: true,
        maxTokens: 2000,
        maxDepth: 8,
        maxAliases: 0,
        maxFields: 100,
        maxComplexity: 500,
      },
      uploads: { maxBytes: 10_485_760, ttlSeconds: 3600, requestTimeoutMs: 600_000 },
      backends: {
        endpoints: [
          { name: 'triton-a', address: 'triton-0.triton:8001' },
          { name: 'gateway', address: '[::1]:8081' },
        ],
        apiKey: 'tcg_key',
        timeoutMs: 60_000,
      },
      grpc: { host: '10.0.0.1', port: 4101 },
      mlflow: { trackingUri: 'http://mlflow:5000', token: 'token', timeoutMs: 5000 },
      auth: { bootstrapAdminKey: undefined, apiKeyCacheTtlMs: 30_000, jwt: undefined },
    });
  });

  it('turns introspection off in production unless it is asked for', () => {
    expect(loadControlPlaneConfig({ NODE_ENV: 'production' }, cwd).graphql.introspection).toBe(
      false,
    );
    expect(loadControlPlaneConfig({ NODE_ENV: 'test' }, cwd).graphql.introspection).toBe(true);
    expect(
      loadControlPlaneConfig(
        { NODE_ENV: 'development', CONTROL_PLANE_GRAPHQL_INTROSPECTION: 'false' },
        cwd,
      ).graphql.introspection,
    ).toBe(false);
  });

  it('serves gRPC beside HTTP on port 4001, on a free port under NODE_ENV=test', () => {
    expect(loadControlPlaneConfig({ CONTROL_PLANE_HOST: '127.0.0.1' }, cwd).grpc).toEqual({
      host: '127.0.0.1',
      port: 4001,
    });
    expect(loadControlPlaneConfig({ NODE_ENV: 'test' }, cwd).grpc.port).toBe(0);
    expect(() => loadControlPlaneConfig({ CONTROL_PLANE_GRPC_PORT: '70000' }, cwd)).toThrow(
      /CONTROL_PLANE_GRPC_PORT must be an integer 0-65535 \(got "70000"\)/,
    );
  });

  it('treats empty values as unset', () => {
    const config = loadControlPlaneConfig({ CONTROL_PLANE_PORT: '', DATABASE_URL: '' }, cwd);
    expect(config.port).toBe(4000);
    expect(config.databaseUrl).toBeUndefined();
  });

  it.each([
    [
      'CONTROL_PLANE_BACKENDS',
      'triton:8001',
      'CONTROL_PLANE_BACKENDS entry "triton:8001" is not name=host:port (got "triton:8001")',
    ],
    [
      'CONTROL_PLANE_BACKENDS',
      'a=h:1,a=h:2',
      'CONTROL_PLANE_BACKENDS backend name a is given twice (got "a=h:1,a=h:2")',
    ],
    [
      'MLFLOW_TRACKING_URI',
      'ftp://mlflow',
      'MLFLOW_TRACKING_URI must be an http:// or https:// URL (got "ftp://mlflow")',
    ],
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
    [
      'CONTROL_PLANE_MAX_BODY_BYTES',
      '100',
      'CONTROL_PLANE_MAX_BODY_BYTES must be an integer 1024-16777216 (got "100")',
    ],
    [
      'CONTROL_PLANE_REQUEST_TIMEOUT_MS',
      '-1',
      'CONTROL_PLANE_REQUEST_TIMEOUT_MS must be an integer 100-2147483647 (got "-1")',
    ],
    [
      'CONTROL_PLANE_MAX_UPLOAD_BYTES',
      '3000000000000',
      'CONTROL_PLANE_MAX_UPLOAD_BYTES must be an integer 1-1099511627776 (got "3000000000000")',
    ],
    [
      'CONTROL_PLANE_UPLOAD_TTL_SECONDS',
      '0',
      'CONTROL_PLANE_UPLOAD_TTL_SECONDS must be an integer 1-31536000 (got "0")',
    ],
    [
      'CONTROL_PLANE_MAX_CONNECTIONS',
      '0',
      'CONTROL_PLANE_MAX_CONNECTIONS must be an integer 1-1000000 (got "0")',
    ],
    [
      'CONTROL_PLANE_GRAPHQL_INTROSPECTION',
      'yes',
      "CONTROL_PLANE_GRAPHQL_INTROSPECTION must be 'true' or 'false' (got \"yes\")",
    ],
    [
      'CONTROL_PLANE_GRAPHQL_MAX_TOKENS',
      '100000',
      'CONTROL_PLANE_GRAPHQL_MAX_TOKENS must be an integer 100-4000 (got "100000")',
    ],
    ['LOG_FORMAT', 'xml', 'LOG_FORMAT must be one of json, pretty (got "xml")'],
    ['LOG_LEVEL', 'info', 'LOG_LEVEL must be one of error, warn, log, debug, verbose (got "info")'],
  ])('rejects %s=%j with a message naming it', (name, value, message) => {
    expect(() => loadControlPlaneConfig({ [name]: value }, cwd)).toThrow(
      `Invalid configuration: ${message}`,
    );
  });

  it.each([
    [
      { CONTROL_PLANE_HEADERS_TIMEOUT_MS: '20000', CONTROL_PLANE_REQUEST_TIMEOUT_MS: '10000' },
      'CONTROL_PLANE_HEADERS_TIMEOUT_MS must not exceed CONTROL_PLANE_REQUEST_TIMEOUT_MS (10000) (got "20000")',
    ],
    [
      { CONTROL_PLANE_MAX_BODY_BYTES: '65536', CONTROL_PLANE_MAX_PENDING_BODY_BYTES: '4096' },
      'CONTROL_PLANE_MAX_PENDING_BODY_BYTES must be at least CONTROL_PLANE_MAX_BODY_BYTES (65536) (got "4096")',
    ],
  ])('rejects settings that contradict each other: %j', (env, message) => {
    expect(() => loadControlPlaneConfig(env, cwd)).toThrow(`Invalid configuration: ${message}`);
  });

  it('reads the CORS origins, exact origins or * alone, and names a bad entry', () => {
    expect(
      loadControlPlaneConfig({ CONTROL_PLANE_CORS_ORIGINS: 'https://ui.example.com' }, cwd).http
        .corsOrigins,
    ).toEqual(['https://ui.example.com']);
    expect(loadControlPlaneConfig({ CONTROL_PLANE_CORS_ORIGINS: '*' }, cwd).http.corsOrigins).toBe(
      '*',
    );
    expect(() =>
      loadControlPlaneConfig({ CONTROL_PLANE_CORS_ORIGINS: 'https://ui.example.com/app' }, cwd),
    ).toThrow(
      "CONTROL_PLANE_CORS_ORIGINS entry 'https://ui.example.com/app' is not an origin as browsers send it: write 'https://ui.example.com'",
    );
  });

  it('logs JSON in production unless LOG_FORMAT says otherwise', () => {
    expect(loadControlPlaneConfig({ NODE_ENV: 'production' }, cwd).logging).toEqual({
      level: 'log',
      format: 'json',
    });
    expect(
      loadControlPlaneConfig(
        { NODE_ENV: 'production', LOG_FORMAT: 'pretty', LOG_LEVEL: 'debug' },
        cwd,
      ).logging,
    ).toEqual({ level: 'debug', format: 'pretty' });
    expect(loadControlPlaneConfig({ LOG_FORMAT: 'json' }, cwd).logging.format).toBe('json');
  });

  it('reports every bad variable at once', () => {
    expect(() =>
      loadControlPlaneConfig({ CONTROL_PLANE_PORT: 'abc', DATABASE_URL: 'nope' }, cwd),
    ).toThrow(
      'Invalid configuration: CONTROL_PLANE_PORT must be an integer 1-65535 (got "abc"); ' +
        'DATABASE_URL must be a postgres:// or postgresql:// URL (got "nope")',
    );
  });

  describe('authentication settings', () => {
    const KEY = `tcg_AAAAAAAAAAAA_${'a'.repeat(43)}`;
    it('reads the bootstrap key and the JWT settings, mirroring GATEWAY_JWT_*', () => {
      const { auth } = loadControlPlaneConfig(
        {
          CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY: KEY,
          CONTROL_PLANE_API_KEY_CACHE_TTL_MS: '0',
          CONTROL_PLANE_JWT_JWKS_URL: 'https://idp.example/jwks.json',
          CONTROL_PLANE_JWT_ISSUER: 'https://idp.example',
          CONTROL_PLANE_JWT_AUDIENCE: 'control-plane, registry',
          CONTROL_PLANE_JWT_SCOPE_CLAIM: 'roles',
        },
        cwd,
      );
      expect(auth).toEqual({
        bootstrapAdminKey: KEY,
        apiKeyCacheTtlMs: 0,
        jwt: {
          issuer: 'https://idp.example',
          audience: ['control-plane', 'registry'],
          clockToleranceS: 30,
          jwksUrl: 'https://idp.example/jwks.json',
          publicKeyPem: undefined,
          hs256Secret: undefined,
          scopeClaim: 'roles',
          tenantClaim: 'tenant',
        },
      });
    });

    it.each([
      [
        { CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY: 'hunter2' },
        'CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY must be an API key',
      ],
      [
        { CONTROL_PLANE_JWT_JWKS_URL: 'https://idp/jwks' },
        'CONTROL_PLANE_JWT_ISSUER is required when JWT verification is configured',
      ],
      [
        { CONTROL_PLANE_JWT_AUDIENCE: 'x' },
        'CONTROL_PLANE_JWT_AUDIENCE has no effect without a key',
      ],
      [
        { CONTROL_PLANE_JWT_HS256_SECRET: 'short-secret' },
        'CONTROL_PLANE_JWT_HS256_SECRET must be at least 32 bytes long',
      ],
      [
        { CONTROL_PLANE_JWT_JWKS_URL: 'ftp://idp' },
        'CONTROL_PLANE_JWT_JWKS_URL must be an http:// or https:// URL',
      ],
    ])('refuses %j, naming the setting and never repeating a secret', (env, message) => {
      const error = (() => {
        try {
          loadControlPlaneConfig(env, cwd);
        } catch (caught) {
          return String(caught);
        }
        return '';
      })();
      expect(error).toContain(message);
      expect(error).not.toContain('hunter2');
      expect(error).not.toContain('short-secret');
    });
  });
});
