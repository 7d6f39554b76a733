import { once } from 'node:events';
import type { GatewayError } from '../errors/gateway-error';
import { BodyBudget, GuardedBody } from './body-guard';

const KIB = 1024;

function bodyOf(budget: BodyBudget, deadlineMs = 60_000): { body: GuardedBody; errors: Error[] } {
  const body = new GuardedBody(budget, deadlineMs, deadlineMs);
  const errors: Error[] = [];
  body.on('error', (error: Error) => errors.push(error));
  body.resume(); // a reader, as Fastify's parser is
  return { body, errors };
}

describe('the budget of bytes held by unfinished bodies', () => {
  it('counts what arrives and gives it back when a body ends', async () => {
    const budget = new BodyBudget(100 * KIB);
    const { body } = bodyOf(budget);
    body.write(Buffer.alloc(30 * KIB));
    expect(budget.held).toBe(30 * KIB);
    body.end();
    await once(body, 'end');
    expect(budget.held).toBe(0);
  });

  it('refuses the largest unfinished body when the total would exceed the budget', async () => {
    const budget = new BodyBudget(100 * KIB);
    const large = bodyOf(budget);
    const small = bodyOf(budget);
    large.body.write(Buffer.alloc(90 * KIB));
    small.body.write(Buffer.alloc(5 * KIB));
    small.body.write(Buffer.alloc(10 * KIB)); // 105 KiB: the large one goes, the small one stays
    await new Promise((resolve) => setImmediate(resolve));
    expect(large.errors).toHaveLength(1);
    expect(large.errors[0]).toMatchObject({ kind: 'unavailable', httpStatus: 503 });
    expect(large.errors[0].message).toMatch(/GATEWAY_HTTP_BODY_BUDGET_BYTES \(102400 bytes\)/);
    expect((large.errors[0] as GatewayError).hints.retryAfterMs).toBeGreaterThan(0);
    expect(small.errors).toEqual([]);
    expect(budget.held).toBe(15 * KIB);
  });

  it('refuses a body that alone grows past the budget', async () => {
    const budget = new BodyBudget(10 * KIB);
    const { body, errors } = bodyOf(budget);
    body.write(Buffer.alloc(11 * KIB));
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors[0]).toMatchObject({ kind: 'unavailable' });
    expect(budget.held).toBe(0);
  });

  it('cuts a body off at its deadline with a 408 naming the setting', async () => {
    const budget = new BodyBudget(100 * KIB);
    const { body, errors } = bodyOf(budget, 50);
    body.write(Buffer.alloc(KIB));
    await new Promise((resolve) => body.once('close', resolve));
    expect(errors[0]).toMatchObject({ kind: 'request_timeout', httpStatus: 408 });
    expect(errors[0].message).toMatch(/GATEWAY_HTTP_REQUEST_TIMEOUT_MS \(50 ms\)/);
    expect(budget.held).toBe(0);
  });
});
