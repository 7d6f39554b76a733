/**
 * Open-loop credential guessing for the hostile credential specs: a fixed rate of calls, each with
 * its own presented key, sent without waiting for earlier answers (as an attacker would), over HTTP
 * from a chosen local address (127.0.0.x, so "another peer" is real) or over gRPC.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { API_KEY_PREFIX } from '@auth';
import { authInterceptor } from '../test-gateway';

/** What one guess was answered: HTTP status or gRPC code, and the retry hint if any. */
export interface GuessAnswer {
  status: number;
  retryAfterS?: number;
  message: string;
}

/** A key with `id` and a fresh random secret: a wrong guess for a known id, never repeated. */
export function wrongSecretFor(id: string): string {
  return `${API_KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
}

/** A well-formed key whose id does not exist (12 base62 characters). */
export function unknownKey(): string {
  const id = randomBytes(12)
    .toString('base64')
    .replace(/[^0-9A-Za-z]/g, 'x')
    .slice(0, 12);
  return wrongSecretFor(id);
}

export function keyIdOf(key: string): string {
  return key.split('_')[1];
}

/** Calls `send(index)` `ratePerS` times a second for `durationMs`, then waits for every answer. */
export async function openLoop<T>(
  ratePerS: number,
  durationMs: number,
  send: (index: number) => Promise<T>,
): Promise<T[]> {
  const count = Math.round((ratePerS * durationMs) / 1000);
  const intervalMs = 1000 / ratePerS;
  const started = performance.now();
  const answers: Promise<T>[] = [];
  for (let index = 0; index < count; index += 1) {
    const due = started + index * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    answers.push(send(index));
  }
  return Promise.all(answers);
}

/** HTTP GET /v2 (any valid credential may read it) with `key`, from `localAddress`. */
export function httpGuesser(
  httpUrl: string,
  localAddress = '127.0.0.1',
): { guess(key: string): Promise<GuessAnswer>; close(): void } {
  const url = new URL(httpUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 256, localAddress });
  const guess = (key: string): Promise<GuessAnswer> =>
    new Promise((resolve) => {
      const call = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: '/v2',
          localAddress,
          headers: { 'x-api-key': key },
          timeout: 60_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const retryAfter = response.headers['retry-after'];
            resolve({
              status: response.statusCode ?? 0,
              ...(retryAfter !== undefined && { retryAfterS: Number(retryAfter) }),
              message: Buffer.concat(chunks).toString('utf8'),
            });
          });
        },
      );
      call.on('error', (error) => resolve({ status: 0, message: error.message }));
      call.end();
    });
  return { guess, close: () => agent.destroy() };
}

/** gRPC inference.GRPCInferenceService/ServerMetadata (any valid credential) with `key`. */
export function grpcGuesser(address: string): {
  guess(key: string): Promise<GuessAnswer>;
  close(): void;
} {
  const client = new Client(address, credentials.createInsecure());
  const identity = (bytes: Buffer): Buffer => bytes;
  const guess = (key: string): Promise<GuessAnswer> =>
    new Promise((resolve) => {
      // The key goes in through an interceptor: a Metadata argument made in Jest's realm fails
      // grpc-js's instanceof check.
      client.makeUnaryRequest(
        '/inference.GRPCInferenceService/ServerMetadata',
        identity,
        identity,
        Buffer.alloc(0),
        { deadline: Date.now() + 60_000, interceptors: [authInterceptor(key)] },
        (error: ServiceError | null) => {
          if (!error) return resolve({ status: status.OK, message: '' });
          const retryAfterMs = error.metadata?.get('retry-after-ms')[0];
          resolve({
            status: error.code,
            ...(retryAfterMs !== undefined && { retryAfterS: Number(retryAfterMs) / 1000 }),
            message: error.details,
          });
        },
      );
    });
  return { guess, close: () => client.close() };
}

/** How many answers had each status, for failure messages: `{"401": 12, "429": 188}`. */
export function tally(answers: readonly GuessAnswer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  return counts;
}
