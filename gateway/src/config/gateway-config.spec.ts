import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { InvalidConfigurationError, loadGatewayConfig } from './gateway-config';

const PUBLIC_KEY_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();

describe('loadGatewayConfig', () => {
  it('starts from the defaults of the one-command quick start', () => {
    expect(loadGatewayConfig({})).toEqual({
      host: '0.0.0.0',
      httpPort: 8080,
      grpcPort: 8081,
      modelRepository: resolve('triton-models'),
      modelControlMode: 'explicit',
      maxBodyBytes: 64 * 1024 * 1024,
      images: {
        maxPixels: 40_000_000,
        maxSide: 16_384,
        maxDecodedBytes: 160_000_000,
        decodeBudgetBytes: 320_000_000,
        decodeQueue: 32,
      },
      idleReclaimMs: 10_000,
      shadows: { maxInFlight: 4, timeoutMs: 10_000 },
      streams: {
        frameDeadlineMs: 500,
        perTenant: 16,
        maxCameras: 16,
        reidModel: 'appearance-mobilenetv2',
        reidEmbedding: 'model',
        reidThreshold: 0.75,
        reidMaxTransitMs: 30_000,
        maxSources: 8,
        ffmpegPath: 'ffmpeg',
      },
      ortIntraOpThreads: 0,
      detectDefaults: { scoreThreshold: 0.35, iouThreshold: 0.6, maxDetections: 100 },
      detectMaxImages: 16,
      corsOrigins: [],
      logLevel: 'log',
      logFormat: 'pretty',
      tracing: { accessLog: true },
      hstsMaxAgeSeconds: 31_536_000,
      http: {
        requestTimeoutMs: 30_000,
        headersTimeoutMs: 10_000,
        keepAliveTimeoutMs: 72_000,
        bodyBudgetBytes: 256 * 1024 * 1024,
      },
      triton: {
        urls: [],
        timeoutMs: 10_000,
        healthIntervalMs: 2000,
        retryBudget: { percent: 10, minPerSecond: 3, windowMs: 10_000 },
      },
      breaker: {
        errorThresholdPercent: 50,
        volumeThreshold: 10,
        windowMs: 10_000,
        resetTimeoutMs: 5000,
      },
      rateLimits: {
        settings: { default: { requestsPerSecond: 10_000, imagesPerSecond: 10_000 }, tenants: {} },
        redisTimeoutMs: 200,
        replicas: 1,
      },
      admission: {
        defaultTimeoutMs: 30_000,
        maxInFlightPerModel: 0,
        maxQueuePerModel: 128,
        limit: 'adaptive',
      },
      readinessPollMs: 1000,
      requiredModels: '*',
      grpc: {
        streamWindowBytes: 2 * 1024 * 1024,
        maxConcurrentStreams: 100,
        connections: { perPeer: 64, total: 2048 },
        maxConnectionIdleMs: 300_000,
        maxConnectionAgeMs: 0,
        receiveTimeoutMs: 10_000,
        streamMaxUnsentBytes: 8 * 1024 * 1024,
        watches: { perPeer: 16, total: 1024 },
      },
      auth: {
        dataDir: resolve('.data/gateway'),
        apiKeyCacheTtlMs: 30_000,
        apiKeyChecks: {
          concurrency: 1,
          maxWaiting: 32,
          failuresPerKey: 10,
          failuresPerPeer: 30,
          failureWindowS: 60,
          negativeCacheMs: 5000,
        },
        metricsPublic: false,
      },
      batching: { mode: 'auto', maxBatchesInFlight: 0, p99ObjectiveMs: 100 },
      routing: { gatewayId: hostname(), statisticsReportMs: 1000 },
    });
  });

  it('reads every variable', () => {
    const config = loadGatewayConfig({
      GATEWAY_HTTP_PORT: '9000',
      GATEWAY_GRPC_PORT: '0',
      MODEL_REPOSITORY: '/models',
      DETECT_SCORE_THRESHOLD: '0.5',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      httpPort: 9000,
      grpcPort: 0,
      modelRepository: '/models',
      logLevel: 'warn',
    });
    expect(config.detectDefaults.scoreThreshold).toBe(0.5);
  });

  it.each([
    ['GATEWAY_HTTP_PORT', 'http'],
    ['GATEWAY_GRPC_PORT', '70000'],
    ['DETECT_IOU_THRESHOLD', '1.5'],
    ['DETECT_MAX_DETECTIONS', '0'],
    ['GATEWAY_MAX_BODY_BYTES', '-1'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_FORMAT', 'xml'],
    ['GATEWAY_HSTS_MAX_AGE_SECONDS', '-1'],
    ['GATEWAY_HSTS_MAX_AGE_SECONDS', '1.5'],
    ['GATEWAY_DEFAULT_TIMEOUT_MS', '0'],
    ['GATEWAY_DEFAULT_TIMEOUT_MS', '3000000000'],
    ['GATEWAY_MAX_IN_FLIGHT_PER_MODEL', '-1'],
    ['GATEWAY_MAX_QUEUE_PER_MODEL', '-1'],
    ['GATEWAY_READINESS_POLL_MS', '10'],
    ['GATEWAY_HTTP_REQUEST_TIMEOUT_MS', '0'],
    ['GATEWAY_HTTP_REQUEST_TIMEOUT_MS', '3000000000'],
    ['GATEWAY_HTTP_HEADERS_TIMEOUT_MS', '50'],
    ['GATEWAY_HTTP_KEEP_ALIVE_TIMEOUT_MS', '0'],
    ['GATEWAY_HTTP_BODY_BUDGET_BYTES', '0'],
    ['GATEWAY_HTTP_BODY_BUDGET_BYTES', '1000'],
    ['GATEWAY_GRPC_STREAM_WINDOW_BYTES', '1024'],
    ['GATEWAY_GRPC_STREAM_WINDOW_BYTES', '2147483648'],
    ['GATEWAY_GRPC_MAX_CONCURRENT_STREAMS', '0'],
    ['GATEWAY_GRPC_MAX_CONNECTIONS_PER_PEER', '0'],
    ['GATEWAY_GRPC_MAX_CONNECTIONS', 'many'],
    ['GATEWAY_GRPC_MAX_CONNECTION_IDLE_MS', '-1'],
    ['GATEWAY_GRPC_MAX_CONNECTION_AGE_MS', '3000000000'],
    ['GATEWAY_GRPC_RECEIVE_TIMEOUT_MS', '0'],
    ['GATEWAY_GRPC_STREAM_MAX_UNSENT_BYTES', '0'],
    ['GATEWAY_GRPC_MAX_WATCHES_PER_PEER', '1.5'],
    ['GATEWAY_GRPC_MAX_WATCHES', '-1'],
    ['GATEWAY_MAX_IMAGE_PIXELS', '0'],
    ['GATEWAY_MAX_IMAGE_SIDE', '-16384'],
    ['GATEWAY_MAX_IMAGE_DECODED_BYTES', '1.5'],
    ['GATEWAY_IMAGE_DECODE_BUDGET_BYTES', '0'],
    ['GATEWAY_IMAGE_DECODE_BUDGET_BYTES', '100000000'],
    ['GATEWAY_IMAGE_DECODE_QUEUE', '-1'],
    ['GATEWAY_IDLE_RECLAIM_MS', '-1'],
    ['GATEWAY_ID', 'two words'],
    ['GATEWAY_CONTROL_PLANE_ADDRESS', 'control-plane'],
    ['GATEWAY_CONTROL_PLANE_ADDRESS', 'control-plane:99999'],
    ['GATEWAY_STATISTICS_REPORT_MS', '10'],
  ])('refuses %s=%s with an error naming the variable and its value', (variable, value) => {
    expect(() => loadGatewayConfig({ [variable]: value })).toThrow(InvalidConfigurationError);
    expect(() => loadGatewayConfig({ [variable]: value })).toThrow(
      new RegExp(`${variable} .*\\(got "${value}"\\)`),
    );
  });

  it('reads the gRPC transport settings', () => {
    expect(
      loadGatewayConfig({
        GATEWAY_GRPC_STREAM_WINDOW_BYTES: '65535',
        GATEWAY_GRPC_MAX_CONCURRENT_STREAMS: '8',
        GATEWAY_GRPC_MAX_CONNECTIONS_PER_PEER: '2',
        GATEWAY_GRPC_MAX_CONNECTIONS: '10',
        GATEWAY_GRPC_MAX_CONNECTION_IDLE_MS: '0',
        GATEWAY_GRPC_MAX_CONNECTION_AGE_MS: '600000',
        GATEWAY_GRPC_RECEIVE_TIMEOUT_MS: '2500',
        GATEWAY_GRPC_STREAM_MAX_UNSENT_BYTES: '1048576',
        GATEWAY_GRPC_MAX_WATCHES_PER_PEER: '3',
        GATEWAY_GRPC_MAX_WATCHES: '30',
      }).grpc,
    ).toEqual({
      streamWindowBytes: 65_535,
      maxConcurrentStreams: 8,
      connections: { perPeer: 2, total: 10 },
      maxConnectionIdleMs: 0,
      maxConnectionAgeMs: 600_000,
      receiveTimeoutMs: 2500,
      streamMaxUnsentBytes: 1024 * 1024,
      watches: { perPeer: 3, total: 30 },
    });
  });

  describe('authentication settings', () => {
    const KEY = `tcg_AbCdEfGhIjKl_${'s'.repeat(43)}`;

    it('reads the key store, bootstrap key, cache TTL and metrics access', () => {
      expect(
        loadGatewayConfig({
          GATEWAY_DATA_DIR: '/var/lib/gateway',
          GATEWAY_DATABASE_URL: 'postgres://gw@db:5432/cp',
          GATEWAY_BOOTSTRAP_API_KEY: KEY,
          GATEWAY_API_KEY_CACHE_TTL_MS: '0',
          GATEWAY_METRICS_PUBLIC: 'true',
        }).auth,
      ).toEqual({
        dataDir: '/var/lib/gateway',
        databaseUrl: 'postgres://gw@db:5432/cp',
        bootstrapApiKey: KEY,
        apiKeyCacheTtlMs: 0,
        apiKeyChecks: {
          concurrency: 1,
          maxWaiting: 32,
          failuresPerKey: 10,
          failuresPerPeer: 30,
          failureWindowS: 60,
          negativeCacheMs: 5000,
        },
        metricsPublic: true,
      });
      // An empty line in an env file is the same as unset.
      expect(
        loadGatewayConfig({ GATEWAY_BOOTSTRAP_API_KEY: '' }).auth.bootstrapApiKey,
      ).toBeUndefined();
    });

    it('reads JWT verification settings', () => {
      expect(
        loadGatewayConfig({
          GATEWAY_JWT_JWKS_URL: 'https://idp.example/jwks.json',
          GATEWAY_JWT_ISSUER: 'https://idp.example',
          GATEWAY_JWT_AUDIENCE: 'gateway, other',
          GATEWAY_JWT_SCOPE_CLAIM: 'permissions',
        }).auth.jwt,
      ).toEqual({
        issuer: 'https://idp.example',
        audience: ['gateway', 'other'],
        clockToleranceS: 30,
        jwksUrl: 'https://idp.example/jwks.json',
        scopeClaim: 'permissions',
        tenantClaim: 'tenant',
      });
    });

    it.each([
      ['GATEWAY_DATABASE_URL', 'mysql://db/cp', 'must be a postgres:// or postgresql:// URL'],
      ['GATEWAY_API_KEY_CACHE_TTL_MS', '-1', ''],
      ['GATEWAY_METRICS_PUBLIC', 'yes', "must be 'true' or 'false'"],
      ['GATEWAY_JWT_JWKS_URL', 'ftp://x', 'must be an http:// or https:// URL'],
      ['GATEWAY_JWT_PUBLIC_KEY', 'not a key', 'must be a PEM public key'],
      ['GATEWAY_JWT_CLOCK_TOLERANCE_S', '3600', ''],
    ])('refuses %s=%s naming it', (variable, value, message) => {
      expect(() => loadGatewayConfig({ [variable]: value })).toThrow(
        new RegExp(`${variable} [^;]*${message.replace(/[/:.]/g, '\\$&')}`),
      );
    });

    it.each([
      ['GATEWAY_BOOTSTRAP_API_KEY', 'tcg_short_secret', 'must be an API key of the form tcg_'],
      ['GATEWAY_JWT_HS256_SECRET', 'too-short', 'must be at least 32 bytes long'],
      ['GATEWAY_DATABASE_URL', 'mysql://user:hunter2@db/cp', 'must be a postgres://'],
    ])('refuses a bad %s naming it without repeating the secret', (variable, value, message) => {
      let error: Error | undefined;
      try {
        loadGatewayConfig({ [variable]: value });
      } catch (caught) {
        error = caught as Error;
      }
      expect(error?.message).toContain(`${variable} ${message}`);
      expect(error?.message).toContain('(got "(secret, not shown)")');
      expect(error?.message).not.toContain(value);
    });

    it('needs an issuer and an audience with a JWT key, and one asymmetric key source', () => {
      expect(() => loadGatewayConfig({ GATEWAY_JWT_JWKS_URL: 'https://idp/jwks' })).toThrow(
        /GATEWAY_JWT_ISSUER is required when JWT verification is configured \(GATEWAY_JWT_JWKS_URL set\).*GATEWAY_JWT_AUDIENCE is required/,
      );
      expect(() => loadGatewayConfig({ GATEWAY_JWT_ISSUER: 'https://idp' })).toThrow(
        /GATEWAY_JWT_ISSUER has no effect without a key/,
      );
      expect(() =>
        loadGatewayConfig({
          GATEWAY_JWT_JWKS_URL: 'https://idp/jwks',
          GATEWAY_JWT_PUBLIC_KEY: PUBLIC_KEY_PEM,
          GATEWAY_JWT_ISSUER: 'i',
          GATEWAY_JWT_AUDIENCE: 'a',
        }),
      ).toThrow(/GATEWAY_JWT_PUBLIC_KEY cannot be combined with GATEWAY_JWT_JWKS_URL/);
      const pem = loadGatewayConfig({
        GATEWAY_JWT_PUBLIC_KEY: PUBLIC_KEY_PEM.replace(/\n/g, '\\n'),
        GATEWAY_JWT_ISSUER: 'i',
        GATEWAY_JWT_AUDIENCE: 'a',
      });
      expect(pem.auth.jwt?.publicKeyPem).toBe(PUBLIC_KEY_PEM);
    });
  });

  it('logs JSON lines in production unless LOG_FORMAT says otherwise', () => {
    expect(loadGatewayConfig({ NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadGatewayConfig({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat).toBe(
      'pretty',
    );
    expect(loadGatewayConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
  });

  it('reads the CORS origins, exact origins or * alone, and names a bad entry', () => {
    expect(
      loadGatewayConfig({ GATEWAY_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' })
        .corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(loadGatewayConfig({ GATEWAY_CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
    expect(loadGatewayConfig({ GATEWAY_CORS_ORIGINS: '' }).corsOrigins).toEqual([]);
    for (const [value, problem] of [
      ['https://app.example.com/', "write 'https://app.example.com'"],
      ['https://App.example.com', "write 'https://app.example.com'"],
      ['https://app.example.com:443', "write 'https://app.example.com'"],
      ['app.example.com', 'is not an origin'],
      ['ftp://files.example.com', 'must start with http:// or https://'],
      ['*, https://app.example.com', "'*' allows every origin"],
      ['https://a.example, https://a.example', "lists 'https://a.example' twice"],
    ]) {
      expect(() => loadGatewayConfig({ GATEWAY_CORS_ORIGINS: value })).toThrow(
        new RegExp(`GATEWAY_CORS_ORIGINS .*${problem.replace(/[.*+?()[\]\\/]/g, '\\$&')}`),
      );
    }
  });

  it('turns HSTS off with GATEWAY_HSTS_MAX_AGE_SECONDS=0', () => {
    expect(loadGatewayConfig({ GATEWAY_HSTS_MAX_AGE_SECONDS: '0' }).hstsMaxAgeSeconds).toBe(0);
  });

  it('reads the HTTP deadlines and body budget, and keeps them consistent', () => {
    expect(
      loadGatewayConfig({
        GATEWAY_HTTP_REQUEST_TIMEOUT_MS: '5000',
        GATEWAY_HTTP_HEADERS_TIMEOUT_MS: '2000',
        GATEWAY_HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000',
        GATEWAY_MAX_BODY_BYTES: '1048576',
        GATEWAY_HTTP_BODY_BUDGET_BYTES: '1048576',
      }).http,
    ).toEqual({
      requestTimeoutMs: 5000,
      headersTimeoutMs: 2000,
      keepAliveTimeoutMs: 5000,
      bodyBudgetBytes: 1_048_576,
    });
    expect(() =>
      loadGatewayConfig({
        GATEWAY_HTTP_REQUEST_TIMEOUT_MS: '5000',
        GATEWAY_HTTP_HEADERS_TIMEOUT_MS: '6000',
      }),
    ).toThrow(/GATEWAY_HTTP_HEADERS_TIMEOUT_MS must not exceed GATEWAY_HTTP_REQUEST_TIMEOUT_MS/);
    // Unset, the head's deadline follows a shorter request deadline.
    expect(
      loadGatewayConfig({ GATEWAY_HTTP_REQUEST_TIMEOUT_MS: '3000' }).http.headersTimeoutMs,
    ).toBe(3000);
    expect(() =>
      loadGatewayConfig({
        GATEWAY_MAX_BODY_BYTES: '2000000',
        GATEWAY_HTTP_BODY_BUDGET_BYTES: '1000000',
      }),
    ).toThrow(/GATEWAY_HTTP_BODY_BUDGET_BYTES must be at least GATEWAY_MAX_BODY_BYTES/);
  });

  it('reads the batching settings and names a bad one', () => {
    expect(
      loadGatewayConfig({
        GATEWAY_BATCHING: 'adaptive',
        GATEWAY_BATCH_MAX_QUEUE_DELAY_US: '500',
        GATEWAY_BATCH_MAX_SIZE: '4',
        GATEWAY_BATCH_MAX_QUEUE: '32',
        GATEWAY_BATCH_MAX_IN_FLIGHT: '2',
        GATEWAY_BATCH_P99_OBJECTIVE_MS: '50',
      }).batching,
    ).toEqual({
      mode: 'adaptive',
      maxQueueDelayUs: 500,
      maxBatchSize: 4,
      maxQueue: 32,
      maxBatchesInFlight: 2,
      p99ObjectiveMs: 50,
    });
    expect(() => loadGatewayConfig({ GATEWAY_BATCHING: 'sometimes' })).toThrow(/GATEWAY_BATCHING/);
    expect(() => loadGatewayConfig({ GATEWAY_BATCH_MAX_SIZE: '0' })).toThrow(
      /GATEWAY_BATCH_MAX_SIZE .*\(got "0"\)/,
    );
  });

  it('reads the models readiness requires: * (default), a list, or none; names a bad name', () => {
    expect(loadGatewayConfig({}).requiredModels).toBe('*');
    expect(
      loadGatewayConfig({ GATEWAY_REQUIRED_MODELS: ' nanodet, a.b_c-1 ,nanodet' }).requiredModels,
    ).toEqual(['nanodet', 'a.b_c-1']);
    expect(loadGatewayConfig({ GATEWAY_REQUIRED_MODELS: '' }).requiredModels).toEqual([]);
    expect(() => loadGatewayConfig({ GATEWAY_REQUIRED_MODELS: 'nanodet,../x' })).toThrow(
      /GATEWAY_REQUIRED_MODELS.*'\.\.\/x' is not a model name/,
    );
  });

  it('reads the model control mode and names a bad one', () => {
    expect(loadGatewayConfig({ GATEWAY_MODEL_CONTROL_MODE: 'none' }).modelControlMode).toBe('none');
    expect(() => loadGatewayConfig({ GATEWAY_MODEL_CONTROL_MODE: 'poll' })).toThrow(
      /GATEWAY_MODEL_CONTROL_MODE must be 'explicit' or 'none' \(got "poll"\)/,
    );
  });

  it('reads the routing source, and refuses two at once', () => {
    expect(
      loadGatewayConfig({
        GATEWAY_ID: 'gateway-0',
        GATEWAY_CONTROL_PLANE_ADDRESS: 'control-plane:4001',
        GATEWAY_CONTROL_PLANE_API_KEY: 'tcg_secret',
        GATEWAY_STATISTICS_REPORT_MS: '5000',
      }).routing,
    ).toEqual({
      gatewayId: 'gateway-0',
      controlPlane: { address: 'control-plane:4001', apiKey: 'tcg_secret' },
      statisticsReportMs: 5000,
    });
    expect(loadGatewayConfig({ GATEWAY_ROUTING_FILE: 'routes.json' }).routing.file).toBe(
      resolve('routes.json'),
    );
    expect(() =>
      loadGatewayConfig({
        GATEWAY_CONTROL_PLANE_ADDRESS: 'control-plane:4001',
        GATEWAY_ROUTING_FILE: 'routes.json',
      }),
    ).toThrow(/GATEWAY_ROUTING_FILE and GATEWAY_CONTROL_PLANE_ADDRESS are mutually exclusive/);
  });

  it('names every bad variable at once', () => {
    expect(() =>
      loadGatewayConfig({ GATEWAY_HTTP_PORT: 'x', DETECT_SCORE_THRESHOLD: '9' }),
    ).toThrow(/GATEWAY_HTTP_PORT .*; DETECT_SCORE_THRESHOLD /);
  });
});
