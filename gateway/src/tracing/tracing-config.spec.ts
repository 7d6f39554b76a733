import { loadGatewayConfig } from '../config/gateway-config';

describe('tracing settings', () => {
  it('defaults: access log on, tracing off', () => {
    expect(loadGatewayConfig({}).tracing).toEqual({ accessLog: true });
  });

  it('reads the OTLP endpoint, service name and sample ratio', () => {
    expect(
      loadGatewayConfig({
        GATEWAY_ACCESS_LOG: 'false',
        GATEWAY_OTLP_ENDPOINT: 'http://collector:4318/v1/traces',
        GATEWAY_OTLP_SERVICE_NAME: 'edge-gateway',
        GATEWAY_TRACE_SAMPLE_RATIO: '0.25',
      }).tracing,
    ).toEqual({
      accessLog: false,
      otlp: {
        endpoint: 'http://collector:4318/v1/traces',
        serviceName: 'edge-gateway',
        sampleRatio: 0.25,
      },
    });
  });

  it.each([
    ['GATEWAY_ACCESS_LOG', 'yes', "must be 'true' or 'false'"],
    ['GATEWAY_OTLP_ENDPOINT', 'collector:4318', 'must be an http(s) URL or empty'],
    ['GATEWAY_OTLP_ENDPOINT', 'grpc://collector:4317', 'must be an http(s) URL or empty'],
    ['GATEWAY_TRACE_SAMPLE_RATIO', '1.5', ''],
  ])('refuses %s=%s naming it', (variable, value, message) => {
    let error: Error | undefined;
    try {
      loadGatewayConfig({ [variable]: value });
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).toContain(variable);
    expect(error?.message).toContain(message);
  });
});
