import { finished, Transform, type Readable, type TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/gateway-error';

export interface BodyGuardSettings {
  /** A request's whole arrival, head included (GATEWAY_HTTP_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** Bytes all unfinished bodies may hold together (GATEWAY_HTTP_BODY_BUDGET_BYTES). */
  bodyBudgetBytes: number;
}

/**
 * The bytes held by request bodies still arriving, across every connection. Over the budget, the
 * body holding the most is refused (503): an upload parked to hog memory goes first, and a small
 * request arriving while the budget is spent is still read.
 */
export class BodyBudget {
  private heldBytes = 0;
  private readonly bodies = new Set<GuardedBody>();

  constructor(readonly limitBytes: number) {}

  get held(): number {
    return this.heldBytes;
  }

  /** `body` received `bytes` more; refuses the largest bodies until the total fits again. */
  grow(body: GuardedBody, bytes: number): void {
    this.bodies.add(body);
    this.heldBytes += bytes;
    while (this.heldBytes > this.limitBytes) {
      let largest = body;
      for (const candidate of this.bodies) if (candidate.held > largest.held) largest = candidate;
      // Releases its bytes (release below) before the loop looks again.
      largest.refuse(budgetSpent(this.limitBytes));
    }
  }

  release(body: GuardedBody): void {
    if (this.bodies.delete(body)) this.heldBytes -= body.held;
  }
}

/**
 * A request body on its way to the content parser, counted against the budget and cut off at the
 * request's deadline. Refusing it errors the stream: Fastify answers with that error.
 */
export class GuardedBody extends Transform {
  private heldBytes = 0;
  private readonly deadline: NodeJS.Timeout;
  private released = false;

  constructor(
    private readonly budget: BodyBudget,
    remainingMs: number,
    timeoutMs: number,
  ) {
    super();
    this.deadline = setTimeout(() => this.refuse(bodyTooSlow(timeoutMs)), remainingMs);
    this.deadline.unref();
  }

  get held(): number {
    return this.heldBytes;
  }

  refuse(error: GatewayError): void {
    this.release();
    this.destroy(error);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.released) return callback();
    this.heldBytes += chunk.length;
    this.budget.grow(this, chunk.length);
    if (this.destroyed) return callback();
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.release();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.release();
    callback(error);
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.deadline);
    this.budget.release(this);
  }
}

/**
 * Puts every request body behind a GuardedBody (Fastify's preParsing hook: after authentication,
 * so only authenticated callers' bodies are ever read). The deadline counts from the request's
 * arrival; Node's own requestTimeout (http-server-options.ts) is the backstop for bodies nobody reads.
 */
export function registerBodyGuard(fastify: FastifyInstance, settings: BodyGuardSettings): void {
  const budget = new BodyBudget(settings.bodyBudgetBytes);
  fastify.addHook('preParsing', (request, reply, payload, done) => {
    if (!hasBody(request)) return done(null, payload);
    const remainingMs = Math.max(0, settings.requestTimeoutMs - reply.elapsedTime);
    const body = new GuardedBody(budget, remainingMs, settings.requestTimeoutMs);
    // Fastify listens once it parses; until then (and after it stops) a refusal must not crash.
    body.on('error', () => undefined);
    followSource(payload, body, reply);
    done(null, body);
  });
}

/** Feeds `body` from `source`, and ends it however the request ends. */
function followSource(source: Readable, body: GuardedBody, reply: FastifyReply): void {
  // pipe(), not pipeline(): destroying an unfinished request destroys its socket, and the refusal
  // still has to be written to it (with `connection: close`, http-error.filter.ts).
  source.pipe(body);
  finished(source, (error) => {
    if (error && !body.destroyed) body.refuse(callerWentAway());
  });
  // The response closed: answered before the body was read to its end (an error), or the connection
  // went away first. Either way its bytes are no longer held.
  reply.raw.once('close', () =>
    body.refuse(reply.raw.writableFinished ? answeredEarly() : callerWentAway()),
  );
}

/** What Fastify reads a body for: a length, or chunked transfer. */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

function budgetSpent(limitBytes: number): GatewayError {
  return new GatewayError(
    'unavailable',
    `too many request bodies are arriving at once: they hold more than GATEWAY_HTTP_BODY_BUDGET_BYTES (${limitBytes} bytes) together, and this one is the largest; retry shortly`,
    { retryAfterMs: 1000 },
  );
}

function bodyTooSlow(timeoutMs: number): GatewayError {
  return new GatewayError(
    'request_timeout',
    `the request body did not arrive within GATEWAY_HTTP_REQUEST_TIMEOUT_MS (${timeoutMs} ms)`,
  );
}

function callerWentAway(): GatewayError {
  return new GatewayError('cancelled', 'the caller went away before its request body arrived');
}

function answeredEarly(): GatewayError {
  return new GatewayError('cancelled', 'the request was answered before its body was read');
}
