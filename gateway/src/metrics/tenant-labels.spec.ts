import { OTHER_LABEL } from './model-labels';
import { TenantLabels } from './tenant-labels';
import { latencyBuckets } from './latency-buckets';

describe('TenantLabels', () => {
  it('names the first tenants, then folds the rest into _other; a named one stays named', () => {
    const labels = new TenantLabels(2);
    expect(labels.of('a')).toBe('a');
    expect(labels.of('b')).toBe('b');
    expect(labels.of('c')).toBe(OTHER_LABEL);
    expect(labels.of('a')).toBe('a');
  });
});

describe('latencyBuckets', () => {
  it('reach 300 s, and the configured default deadline when it is longer', () => {
    expect(latencyBuckets(30_000).at(-1)).toBe(300);
    expect(latencyBuckets(30_000)).toContain(30);
    expect(latencyBuckets(900_000).slice(-2)).toEqual([300, 900]);
  });
});
