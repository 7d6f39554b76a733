import { InvalidConfigurationError, loadGatewayConfig } from '../config/gateway-config';
import { BUILT_IN_DEFAULT, parseRateLimitSettings, resolveRates } from './rate-limit-settings';

function settingsOf(json: string) {
  const parsed = parseRateLimitSettings(json);
  if (!('settings' in parsed)) throw new Error(parsed.problems.join('; '));
  return parsed.settings;
}

describe('GATEWAY_RATE_LIMITS', () => {
  it('defaults to a generous per-tenant ceiling and no per-model limit', () => {
    const { rateLimits } = loadGatewayConfig({});
    expect(rateLimits.settings).toEqual({ default: BUILT_IN_DEFAULT, tenants: {} });
    expect(resolveRates(rateLimits.settings, 'anyone', 'nanodet')).toEqual({
      tenantRequests: 10_000,
      tenantImages: 10_000,
      modelRequests: 0,
      modelImages: 0,
    });
    expect(rateLimits).toMatchObject({ redisTimeoutMs: 200, replicas: 1 });
    expect(rateLimits.redisUrl).toBeUndefined();
  });

  it('resolves field by field: tenant model override, tenant perModel, default models, default perModel', () => {
    const settings = settingsOf(
      JSON.stringify({
        default: {
          requestsPerSecond: 100,
          perModel: { requestsPerSecond: 50, imagesPerSecond: 80 },
          models: { heavy: { requestsPerSecond: 5 } },
        },
        tenants: {
          'team-a': {
            imagesPerSecond: 400,
            perModel: { imagesPerSecond: 60 },
            models: { nanodet: { requestsPerSecond: 7 } },
          },
        },
      }),
    );
    expect(resolveRates(settings, 'team-a', 'nanodet')).toEqual({
      tenantRequests: 100, // from default
      tenantImages: 400, // own
      modelRequests: 7, // own models.nanodet
      modelImages: 60, // own perModel
    });
    expect(resolveRates(settings, 'team-a', 'heavy')).toMatchObject({
      modelRequests: 5, // default models.heavy, as team-a sets no request rate per model
      modelImages: 60,
    });
    expect(resolveRates(settings, 'team-b', 'other')).toEqual({
      tenantRequests: 100,
      tenantImages: BUILT_IN_DEFAULT.imagesPerSecond, // built-in, as default sets none
      modelRequests: 50,
      modelImages: 80,
    });
  });

  it('takes 0 as unlimited and does not confuse tenant names with object properties', () => {
    const settings = settingsOf('{"default":{"requestsPerSecond":0,"imagesPerSecond":0}}');
    expect(resolveRates(settings, 'constructor', 'toString')).toEqual({
      tenantRequests: 0,
      tenantImages: 0,
      modelRequests: 0,
      modelImages: 0,
    });
  });

  it.each([
    ['not json', /GATEWAY_RATE_LIMITS is not valid JSON/],
    ['[]', /GATEWAY_RATE_LIMITS \(top level\): /],
    [
      '{"tenants":{"team-a":{"requestsPerSecond":-1}}}',
      /tenants\.team-a\.requestsPerSecond: must be 0 \(unlimited\) or more/,
    ],
    [
      '{"default":{"requestsPerSecond":1.5}}',
      /default\.requestsPerSecond: must be a whole number per second/,
    ],
    ['{"default":{"requestPerSecond":10}}', /default: .*requestPerSecond/],
    [
      '{"tenants":{"t":{"models":{"m":{"imagesPerSecond":"9"}}}}}',
      /tenants\.t\.models\.m\.imagesPerSecond: must be a number/,
    ],
  ])('refuses %s with an error naming the variable and the setting', (json, message) => {
    expect(() => loadGatewayConfig({ GATEWAY_RATE_LIMITS: json })).toThrow(
      InvalidConfigurationError,
    );
    expect(() => loadGatewayConfig({ GATEWAY_RATE_LIMITS: json })).toThrow(message);
  });

  it('reads REDIS_URL, REDIS_TIMEOUT_MS and GATEWAY_REPLICAS', () => {
    const { rateLimits } = loadGatewayConfig({
      REDIS_URL: 'redis://127.0.0.1:6379/2',
      REDIS_TIMEOUT_MS: '50',
      GATEWAY_REPLICAS: '3',
    });
    expect(rateLimits).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379/2',
      redisTimeoutMs: 50,
      replicas: 3,
    });
  });

  it.each([
    ['REDIS_URL', 'localhost:6379'],
    ['REDIS_TIMEOUT_MS', '0'],
    ['GATEWAY_REPLICAS', '0'],
  ])('refuses %s=%s naming the variable', (variable, value) => {
    expect(() => loadGatewayConfig({ [variable]: value })).toThrow(new RegExp(`${variable} `));
  });

  it('never shows the password of a bad REDIS_URL', () => {
    expect(() => loadGatewayConfig({ REDIS_URL: 'http://user:s3cret@redis:6379' })).toThrow(
      /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL \(got "http:\/\/\*\*\*@redis:6379"\)/,
    );
  });
});
