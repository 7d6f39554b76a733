import { loadGatewayConfig } from '../config/gateway-config';

describe('breaker and retry budget settings (GATEWAY_BREAKER_*, TRITON_RETRY_*)', () => {
  it('defaults: 50% of at least 10 calls in 10 s opens, probe after 5 s; retries 10% + 3/s', () => {
    const config = loadGatewayConfig({});
    expect(config.breaker).toEqual({
      errorThresholdPercent: 50,
      volumeThreshold: 10,
      windowMs: 10_000,
      resetTimeoutMs: 5_000,
    });
    expect(config.triton.retryBudget).toEqual({ percent: 10, minPerSecond: 3, windowMs: 10_000 });
  });

  it('reads every setting', () => {
    const config = loadGatewayConfig({
      GATEWAY_BREAKER_ERROR_PERCENT: '25',
      GATEWAY_BREAKER_VOLUME_THRESHOLD: '4',
      GATEWAY_BREAKER_WINDOW_MS: '2000',
      GATEWAY_BREAKER_RESET_MS: '750',
      TRITON_RETRY_BUDGET_PERCENT: '0',
      TRITON_RETRY_MIN_PER_SECOND: '0.5',
    });
    expect(config.breaker).toEqual({
      errorThresholdPercent: 25,
      volumeThreshold: 4,
      windowMs: 2000,
      resetTimeoutMs: 750,
    });
    expect(config.triton.retryBudget).toMatchObject({ percent: 0, minPerSecond: 0.5 });
  });

  it.each([
    ['GATEWAY_BREAKER_ERROR_PERCENT', '0'],
    ['GATEWAY_BREAKER_ERROR_PERCENT', '101'],
    ['GATEWAY_BREAKER_VOLUME_THRESHOLD', '0'],
    ['GATEWAY_BREAKER_WINDOW_MS', '50'],
    ['GATEWAY_BREAKER_RESET_MS', 'soon'],
    ['TRITON_RETRY_BUDGET_PERCENT', '150'],
    ['TRITON_RETRY_MIN_PER_SECOND', '-1'],
  ])('refuses %s=%s naming the variable', (variable, value) => {
    expect(() => loadGatewayConfig({ [variable]: value })).toThrow(
      new RegExp(`Invalid gateway configuration: ${variable} .*\\(got "${value}"\\)`),
    );
  });
});
