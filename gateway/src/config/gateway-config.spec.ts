import { resolve } from 'node:path';
import { InvalidConfigurationError, loadGatewayConfig } from './gateway-config';

describe('loadGatewayConfig', () => {
  it('starts from the defaults of the one-command quick start', () => {
    expect(loadGatewayConfig({})).toEqual({
      host: '0.0.0.0',
      httpPort: 8080,
      grpcPort: 8081,
      modelRepository: resolve('triton-models'),
      maxBodyBytes: 64 * 1024 * 1024,
      maxImagePixels: 40_000_000,
      ortIntraOpThreads: 0,
      detectDefaults: { scoreThreshold: 0.35, iouThreshold: 0.6, maxDetections: 100 },
      logLevel: 'log',
      logFormat: 'pretty',
      hstsMaxAgeSeconds: 31_536_000,
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
      admission: { defaultTimeoutMs: 30_000, maxInFlightPerModel: 32, maxQueuePerModel: 128 },
      readinessPollMs: 1000,
      batching: { mode: 'auto', maxQueue: 256, maxBatchesInFlight: 0, p99ObjectiveMs: 100 },
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
    ['GATEWAY_MAX_IN_FLIGHT_PER_MODEL', '0'],
    ['GATEWAY_MAX_QUEUE_PER_MODEL', '-1'],
    ['GATEWAY_READINESS_POLL_MS', '10'],
  ])('refuses %s=%s with an error naming the variable and its value', (variable, value) => {
    expect(() => loadGatewayConfig({ [variable]: value })).toThrow(InvalidConfigurationError);
    expect(() => loadGatewayConfig({ [variable]: value })).toThrow(
      new RegExp(`${variable} .*\\(got "${value}"\\)`),
    );
  });

  it('logs JSON lines in production unless LOG_FORMAT says otherwise', () => {
    expect(loadGatewayConfig({ NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadGatewayConfig({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat).toBe(
      'pretty',
    );
    expect(loadGatewayConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
  });

  it('turns HSTS off with GATEWAY_HSTS_MAX_AGE_SECONDS=0', () => {
    expect(loadGatewayConfig({ GATEWAY_HSTS_MAX_AGE_SECONDS: '0' }).hstsMaxAgeSeconds).toBe(0);
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

  it('names every bad variable at once', () => {
    expect(() =>
      loadGatewayConfig({ GATEWAY_HTTP_PORT: 'x', DETECT_SCORE_THRESHOLD: '9' }),
    ).toThrow(/GATEWAY_HTTP_PORT .*; DETECT_SCORE_THRESHOLD /);
  });
});
