import { Logger } from '@nestjs/common';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { GatewayError } from '../../errors/gateway-error';
import { EndpointPool } from './endpoint-pool';
import type { TritonClient } from './triton-client';

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

/** Scripted health answers of one endpoint (the pool's view of a TritonClient, nothing more). */
class ScriptedClient {
  up = true;
  ready = new Set(['nanodet']);
  closed = false;
  serverReadyCalls = 0;

  constructor(readonly address: string) {}

  serverReady(): Promise<boolean> {
    this.serverReadyCalls += 1;
    if (!this.up) return Promise.reject(serviceError(status.UNAVAILABLE, 'connection refused'));
    return Promise.resolve(true);
  }

  modelReady(name: string): Promise<boolean> {
    if (!this.up) return Promise.reject(serviceError(status.UNAVAILABLE, 'connection refused'));
    return Promise.resolve(this.ready.has(name));
  }

  close(): void {
    this.closed = true;
  }
}

function poolOf(...addresses: string[]) {
  const clients = addresses.map((address) => new ScriptedClient(address));
  const pool = new EndpointPool(clients as unknown as TritonClient[], {
    timeoutMs: 1000,
    healthIntervalMs: 60_000,
    random: () => 0,
  });
  pool.setModels(['nanodet', 'other']);
  return { pool, clients };
}

describe('EndpointPool', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('is unhealthy until a health check passes, then routes to endpoints with the model ready', async () => {
    const { pool, clients } = poolOf('a:1', 'b:1');
    clients[1].ready = new Set(['other']);
    expect(pool.anyHealthy()).toBe(false);
    expect(() => pool.pick('nanodet')).toThrow(
      "no healthy Triton endpoint for model 'nanodet' (a:1: not checked yet; b:1: not checked yet)",
    );
    await pool.checkNow();
    expect(pool.anyHealthy()).toBe(true);
    expect(pool.pick('nanodet').address).toBe('a:1');
    expect(pool.pick('other').address).toBe('b:1');
    expect(pool.isModelReady('missing')).toBe(false);
  });

  it('prefers the endpoint with fewer outstanding calls and counts calls while they run', async () => {
    const { pool } = poolOf('a:1', 'b:1');
    await pool.checkNow();
    let release!: () => void;
    const slow = pool.call('nanodet', () => new Promise<void>((resolve) => (release = resolve)));
    const [a, b] = pool.endpoints;
    expect(a.outstanding).toBe(1);
    // random() = 0 draws a then b: a is busier, so b.
    expect(pool.pick('nanodet')).toBe(b);
    release();
    await slow;
    expect(a.outstanding).toBe(0);
    expect(pool.pick('nanodet')).toBe(a);
  });

  it('a call failing with UNAVAILABLE takes its endpoint out at once and opens its breaker, naming it', async () => {
    const { pool } = poolOf('a:1', 'b:1');
    await pool.checkNow();
    const changes = jest.fn();
    pool.onChange(changes);
    const failure = await pool
      .call('nanodet', () => Promise.reject(serviceError(status.UNAVAILABLE, 'Connection dropped')))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GatewayError);
    expect(failure).toMatchObject({
      kind: 'unavailable',
      message: 'Triton endpoint a:1 unavailable: Connection dropped',
    });
    expect(pool.endpoints[0].healthy).toBe(false);
    expect(pool.endpoints[0].breaker.state).toBe('open');
    expect(pool.endpoints[1].breaker.state).toBe('closed');
    expect(pool.endpoints[0].outstanding).toBe(0);
    expect(changes).toHaveBeenCalledTimes(1);
    expect(pool.pick('nanodet').address).toBe('b:1');
  });

  it('other failures leave the endpoint in and keep Triton’s message', async () => {
    const { pool } = poolOf('a:1');
    await pool.checkNow();
    const failure = await pool
      .call('nanodet', () =>
        Promise.reject(
          serviceError(status.INVALID_ARGUMENT, "unexpected shape for input 'images'"),
        ),
      )
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      kind: 'invalid_argument',
      message: "unexpected shape for input 'images'",
    });
    expect(pool.endpoints[0].healthy).toBe(true);
  });

  it('health checks take failing endpoints out and bring recovered ones back', async () => {
    const { pool, clients } = poolOf('a:1', 'b:1');
    await pool.checkNow();
    clients[0].up = false;
    await pool.checkNow();
    expect(pool.endpoints.map((endpoint) => endpoint.healthy)).toEqual([false, true]);
    expect(pool.pick('nanodet').address).toBe('b:1');

    clients[1].up = false;
    await pool.checkNow();
    expect(pool.anyHealthy()).toBe(false);
    expect(() => pool.pick('nanodet')).toThrow(
      "no healthy Triton endpoint for model 'nanodet' (a:1: UNAVAILABLE: connection refused; b:1: UNAVAILABLE: connection refused)",
    );
    // The next health round may bring one back: that is when to try again.
    const refusal = (() => {
      try {
        return pool.pickAdmitting('nanodet');
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toMatchObject({ kind: 'unavailable', hints: { retryAfterMs: 60_000 } });

    clients[0].up = true;
    await pool.checkNow();
    expect(pool.pick('nanodet').address).toBe('a:1');
  });

  it('one slow health check does not take a healthy endpoint out; two in a row do', async () => {
    const { pool, clients } = poolOf('a:1');
    await pool.checkNow();
    const slow = () => Promise.reject(serviceError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'));
    const answer = clients[0].serverReady.bind(clients[0]);
    clients[0].serverReady = slow;
    await pool.checkNow();
    expect(pool.endpoints[0].healthy).toBe(true);
    clients[0].serverReady = answer;
    await pool.checkNow();
    clients[0].serverReady = slow;
    await pool.checkNow();
    expect(pool.endpoints[0].healthy).toBe(true);
    await pool.checkNow();
    expect(pool.endpoints[0].healthy).toBe(false);
    expect(() => pool.pick('nanodet')).toThrow('a:1: DEADLINE_EXCEEDED: Deadline exceeded');
  });

  it('a model that stops being ready on an endpoint is no longer routed there', async () => {
    const { pool, clients } = poolOf('a:1');
    await pool.checkNow();
    clients[0].ready = new Set();
    await pool.checkNow();
    expect(pool.anyHealthy()).toBe(true);
    expect(() => pool.pick('nanodet')).toThrow('a:1: model not ready');
  });

  it('a health check that began before an UNAVAILABLE call cannot bring the endpoint back', async () => {
    const { pool, clients } = poolOf('a:1');
    await pool.checkNow();
    let answer!: (ready: boolean) => void;
    clients[0].serverReady = () => new Promise((resolve) => (answer = resolve));
    const round = pool.checkNow();
    await pool
      .call('nanodet', () => Promise.reject(serviceError(status.UNAVAILABLE, 'Connection dropped')))
      .catch(() => undefined);
    answer(true);
    await round;
    expect(pool.endpoints[0].healthy).toBe(false);
  });

  it('joins a round in progress instead of starting another, and closes every client', async () => {
    const { pool, clients } = poolOf('a:1', 'b:1');
    await Promise.all([pool.checkNow(), pool.checkNow()]);
    expect(clients.map((client) => client.serverReadyCalls)).toEqual([1, 1]);
    pool.close();
    expect(clients.every((client) => client.closed)).toBe(true);
  });
});
