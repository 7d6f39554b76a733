import { InvalidConfigurationError, loadGatewayConfig } from '../../config/gateway-config';

describe('Triton settings (TRITON_*)', () => {
  it('leaves Triton off by default, with a 10 s deadline and 2 s health checks', () => {
    expect(loadGatewayConfig({}).triton).toEqual({
      urls: [],
      timeoutMs: 10_000,
      healthIntervalMs: 2000,
      retryBudget: { percent: 10, minPerSecond: 3, windowMs: 10_000 },
    });
    expect(loadGatewayConfig({ TRITON_GRPC_URLS: ' ' }).triton.urls).toEqual([]);
  });

  it('reads a comma-separated list of host:port, IPv6 in brackets', () => {
    const config = loadGatewayConfig({
      TRITON_GRPC_URLS: 'triton-0.triton:8001, 10.0.0.7:8001,[::1]:9001,',
      TRITON_TIMEOUT_MS: '2500',
      TRITON_HEALTH_INTERVAL_MS: '500',
    });
    expect(config.triton).toEqual({
      urls: ['triton-0.triton:8001', '10.0.0.7:8001', '[::1]:9001'],
      timeoutMs: 2500,
      healthIntervalMs: 500,
      retryBudget: { percent: 10, minPerSecond: 3, windowMs: 10_000 },
    });
  });

  it.each([
    ['triton', /TRITON_GRPC_URLS entry 'triton' is not host:port/],
    ['http://triton:8001', /TRITON_GRPC_URLS entry 'http:\/\/triton:8001' is not host:port/],
    ['triton:0', /TRITON_GRPC_URLS entry 'triton:0' has port 0 outside 1\.\.65535/],
    ['a:8001,b:70000', /TRITON_GRPC_URLS entry 'b:70000' has port 70000 outside/],
    ['a:8001,a:8001', /TRITON_GRPC_URLS lists 'a:8001' twice/],
  ])('refuses TRITON_GRPC_URLS=%s naming the variable and the entry', (value, message) => {
    expect(() => loadGatewayConfig({ TRITON_GRPC_URLS: value })).toThrow(InvalidConfigurationError);
    expect(() => loadGatewayConfig({ TRITON_GRPC_URLS: value })).toThrow(message);
  });

  it.each([
    ['TRITON_TIMEOUT_MS', '0'],
    ['TRITON_TIMEOUT_MS', 'soon'],
    ['TRITON_HEALTH_INTERVAL_MS', '-5'],
    ['TRITON_HEALTH_INTERVAL_MS', '10'],
  ])('refuses %s=%s naming the variable', (variable, value) => {
    expect(() => loadGatewayConfig({ [variable]: value })).toThrow(
      new RegExp(`Invalid gateway configuration: ${variable} .*\\(got "${value}"\\)`),
    );
  });
});
