import { RestartBackoff } from './restart-backoff';

const settings = { initialMs: 250, maxMs: 10_000, healthyRunMs: 5_000, jitterRatio: 0 };

describe('RestartBackoff', () => {
  it('doubles from initialMs up to maxMs', () => {
    const backoff = new RestartBackoff(settings);
    const delays = Array.from({ length: 9 }, () => backoff.failed(0));
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    expect(backoff.failures).toBe(9);
  });

  it('starts again from initialMs after a healthy run', () => {
    const backoff = new RestartBackoff(settings);
    backoff.failed(0);
    backoff.failed(4_999);
    expect(backoff.failed(100)).toBe(1000);
    expect(backoff.failed(5_000)).toBe(250);
    expect(backoff.failures).toBe(1);
  });

  it('shortens each wait by up to jitterRatio, never lengthens it', () => {
    const low = new RestartBackoff({ ...settings, jitterRatio: 0.2 }, () => 0.999);
    const high = new RestartBackoff({ ...settings, jitterRatio: 0.2 }, () => 0);
    expect(low.failed(0)).toBe(200);
    expect(high.failed(0)).toBe(250);
  });

  it('stays finite after any number of failures', () => {
    const backoff = new RestartBackoff(settings);
    for (let n = 0; n < 5000; n++) expect(backoff.failed(0)).toBeLessThanOrEqual(10_000);
  });

  it('refuses settings that cannot work', () => {
    expect(() => new RestartBackoff({ ...settings, initialMs: 0 })).toThrow(RangeError);
    expect(() => new RestartBackoff({ ...settings, maxMs: 100 })).toThrow(RangeError);
    expect(() => new RestartBackoff({ ...settings, jitterRatio: 2 })).toThrow(RangeError);
  });
});
