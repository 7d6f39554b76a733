import { GatewayError } from '../errors/gateway-error';
import { parseRequestTimeout } from './request-timeout';

describe('parseRequestTimeout (X-Request-Timeout)', () => {
  it.each([
    ['250', 250],
    [' 250 ', 250],
    ['250ms', 250],
    ['2s', 2000],
    ['1.5s', 1500],
    ['0.0001s', 1],
    ['1m', 60_000],
    ['2147483647', 2147483647],
  ])('reads %j as %d ms', (value, ms) => {
    expect(parseRequestTimeout(value)).toBe(ms);
  });

  it.each([
    ['', /is not a timeout/],
    ['soon', /is not a timeout/],
    ['-5', /is not a timeout/],
    ['5 s', /is not a timeout/],
    ['1h', /is not a timeout/],
    ['250, 300', /is not a timeout/],
    ['1.5', /has a fraction/],
    ['0', /at least 1 ms/],
    ['0ms', /at least 1 ms/],
    ['2147483648', /longer than the longest timeout, 2147483647 ms/],
    ['40000m', /longer than the longest timeout/],
  ])('refuses %j with invalid_argument naming the header and the value', (value, why) => {
    let caught: unknown;
    try {
      parseRequestTimeout(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    expect(caught).toMatchObject({ kind: 'invalid_argument' });
    expect((caught as GatewayError).message).toContain(`x-request-timeout '${value}'`);
    expect((caught as GatewayError).message).toMatch(why);
  });
});
