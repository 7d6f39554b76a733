import { DropReason } from '@contracts/generated/vision/v1/streams_pb';
import { queueFull } from '../admission/admission-errors';
import { GatewayError, invalidArgument } from '../errors/gateway-error';
import { dropReasonOf } from './frame-result';

describe('dropReasonOf', () => {
  it('tells a rate limit (RateLimit-Policy named) from a full admission queue', () => {
    const limited = new GatewayError('resource_exhausted', 'rate limit exceeded', {
      headers: { 'ratelimit-policy': '"tenant-images";q=10;w=1' },
    });
    expect(dropReasonOf(limited)).toBe(DropReason.RATE_LIMITED);
    expect(dropReasonOf(queueFull('nanodet/1', 8, 128, 50))).toBe(DropReason.OVERLOADED);
  });

  it('drops for deadlines and unavailability, and answers a frame of its own fault', () => {
    expect(dropReasonOf(new GatewayError('deadline_exceeded', 'late'))).toBe(DropReason.DEADLINE);
    expect(dropReasonOf(new GatewayError('unavailable', 'breaker open'))).toBe(
      DropReason.OVERLOADED,
    );
    expect(dropReasonOf(invalidArgument('image is empty'))).toBeUndefined();
  });
});
