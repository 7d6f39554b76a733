import { ServiceTimeEstimate } from './service-time-estimate';

describe('ServiceTimeEstimate: the pace at which calls end', () => {
  it('measures the time between ends only while the backend stayed saturated', () => {
    const estimate = new ServiceTimeEstimate();
    estimate.observe(100, 0);
    // Saturated: requests waited at each end.
    estimate.observeDeparture(1000, true);
    estimate.observeDeparture(1100, true);
    expect(estimate.waitAt(1100, 1, 4)).toBe(200); // two departures at 100 ms each
    // Idle for 20 s (nobody waited at the last end), then busy again: the gap is not a pace.
    estimate.observeDeparture(1200, false);
    estimate.observe(100, 21_000);
    estimate.observeDeparture(21_200, true);
    estimate.observeDeparture(21_300, true);
    expect(estimate.waitAt(21_300, 1, 4)).toBe(200);
  });

  it('without a fresh pace, waits for service time / slots per request ahead', () => {
    const estimate = new ServiceTimeEstimate();
    expect(estimate.waitAt(0, 3, 2)).toBeUndefined();
    estimate.observe(100, 0);
    expect(estimate.waitAt(0, 3, 2)).toBe(200);
  });
});
