import { loadControlPlaneConfig } from '../config/control-plane-config';

describe('CONTROL_PLANE_PROMETHEUS_URL and CONTROL_PLANE_PROMETHEUS_TIMEOUT_MS', () => {
  it('leaves Prometheus unset by default: the analysis reads the gateways’ reports', () => {
    expect(loadControlPlaneConfig({}, '/srv').prometheus).toBeUndefined();
    expect(
      loadControlPlaneConfig({ CONTROL_PLANE_PROMETHEUS_TIMEOUT_MS: '2000' }, '/srv').prometheus,
    ).toBeUndefined();
  });

  it('reads the URL and the timeout (default 5 s)', () => {
    expect(
      loadControlPlaneConfig({ CONTROL_PLANE_PROMETHEUS_URL: 'http://prometheus:9090' }, '/srv')
        .prometheus,
    ).toEqual({ url: 'http://prometheus:9090', timeoutMs: 5000 });
    expect(
      loadControlPlaneConfig(
        {
          CONTROL_PLANE_PROMETHEUS_URL: 'https://metrics.example/prometheus',
          CONTROL_PLANE_PROMETHEUS_TIMEOUT_MS: '1500',
        },
        '/srv',
      ).prometheus,
    ).toEqual({ url: 'https://metrics.example/prometheus', timeoutMs: 1500 });
  });

  it('refuses a URL that is not http(s) and a timeout out of range, naming the variable', () => {
    expect(() =>
      loadControlPlaneConfig({ CONTROL_PLANE_PROMETHEUS_URL: 'prometheus:9090' }, '/srv'),
    ).toThrow(
      'CONTROL_PLANE_PROMETHEUS_URL must be an http:// or https:// URL (got "prometheus:9090")',
    );
    expect(() =>
      loadControlPlaneConfig({ CONTROL_PLANE_PROMETHEUS_TIMEOUT_MS: '50' }, '/srv'),
    ).toThrow('CONTROL_PLANE_PROMETHEUS_TIMEOUT_MS must be an integer 100-60000 (got "50")');
  });
});
