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
      triton: { urls: [], timeoutMs: 10_000, healthIntervalMs: 2000 },
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
  ])('refuses %s=%s with an error naming the variable and its value', (variable, value) => {
    expect(() => loadGatewayConfig({ [variable]: value })).toThrow(InvalidConfigurationError);
    expect(() => loadGatewayConfig({ [variable]: value })).toThrow(
      new RegExp(`${variable} .*\\(got "${value}"\\)`),
    );
  });

  it('names every bad variable at once', () => {
    expect(() =>
      loadGatewayConfig({ GATEWAY_HTTP_PORT: 'x', DETECT_SCORE_THRESHOLD: '9' }),
    ).toThrow(/GATEWAY_HTTP_PORT .*; DETECT_SCORE_THRESHOLD /);
  });
});
