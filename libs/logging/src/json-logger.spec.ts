import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { JsonLogger, type JsonLoggerOptions } from './json-logger';

const API_KEY = 'tcg_AbCdEfGh1234_tkxgIWMDJQGZxB-hJkmWcx-cB40nRxXn5G3984mz7l0';
const JWT =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW1lcmEtNyIsInNjb3BlIjoiaW5mZXI6KiJ9.c2lnbmF0dXJlLWJ5dGVz';

/** A logger writing into memory, and the lines it wrote so far. */
function capture(options: Partial<JsonLoggerOptions> = {}) {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = new JsonLogger({
    service: 'gateway',
    level: 'verbose',
    format: 'json',
    destination,
    ...options,
  });
  const text = (): string => chunks.join('');
  const lines = (): Record<string, unknown>[] =>
    text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, text, lines };
}

describe('JsonLogger', () => {
  it('writes one JSON object per line with level, time, context and message', () => {
    const { logger, lines } = capture();
    logger.log('listening', 'GrpcServer');
    logger.warn({ msg: 'slow backend', endpoint: 'triton-0:8001', ms: 812 }, 'TritonBackend');
    expect(lines()).toEqual([
      expect.objectContaining({ level: 'info', context: 'GrpcServer', msg: 'listening' }),
      expect.objectContaining({
        level: 'warn',
        context: 'TritonBackend',
        msg: 'slow backend',
        endpoint: 'triton-0:8001',
        ms: 812,
      }),
    ]);
    // ISO-8601 in production; Jest's realm defeats pino's `instanceof Function` check, so epoch ms here.
    expect(lines()[0].time).toBeDefined();
  });

  it('redacts credential headers and secret fields at any depth, keeping the rest', () => {
    const { logger, text, lines } = capture();
    logger.warn(
      {
        msg: 'refused',
        keyId: 'AbCdEfGh1234',
        headers: {
          authorization: `Bearer ${JWT}`,
          'x-api-key': API_KEY,
          cookie: 'session=abc123',
          'content-type': 'image/jpeg',
        },
        config: {
          jwtSecret: 's3cr3t-value',
          refresh_token: 'rt-123',
          key: 'raw-key-1',
          monkey: 'ok',
        },
        metadata: new Map([['x-api-key', API_KEY]]),
      },
      'Auth',
    );
    const [line] = lines();
    expect(line).toMatchObject({
      keyId: 'AbCdEfGh1234',
      headers: {
        authorization: '[Redacted]',
        'x-api-key': '[Redacted]',
        cookie: '[Redacted]',
        'content-type': 'image/jpeg',
      },
      config: {
        jwtSecret: '[Redacted]',
        refresh_token: '[Redacted]',
        key: '[Redacted]',
        monkey: 'ok',
      },
      metadata: { 'x-api-key': '[Redacted]' },
    });
    for (const secret of [
      'tkxgIWMDJQGZxB',
      JWT,
      'session=abc123',
      's3cr3t-value',
      'rt-123',
      'raw-key-1',
    ]) {
      expect(text()).not.toContain(secret);
    }
  });

  it('scrubs keys and tokens from message text and error stacks', () => {
    const { logger, text, lines } = capture();
    logger.log(`rotated key ${API_KEY}`, 'ApiKeys');
    logger.error(
      `rejected Authorization: Bearer ${JWT}`,
      new Error(`bad key ${API_KEY}`).stack,
      'Auth',
    );
    const [rotated, rejected] = lines();
    expect(rotated.msg).toBe('rotated key tcg_AbCdEfGh1234_[Redacted]');
    expect(rejected.msg).toBe('rejected Authorization: Bearer [Redacted]');
    expect(rejected.stack).toMatch(/^Error: bad key tcg_AbCdEfGh1234_\[Redacted\]\n\s+at /);
    expect(text()).not.toContain('tkxgIWMDJQGZxB');
    expect(text()).not.toContain('eyJzdWIi');
  });

  it('serialises errors passed as the message or beside it', () => {
    const { logger, lines } = capture();
    logger.error(new Error(`token ${JWT} expired`), 'Jwt');
    expect(lines()[0]).toMatchObject({
      level: 'error',
      context: 'Jwt',
      msg: 'token [Redacted] expired',
      err: { type: 'Error', message: 'token [Redacted] expired' },
    });
  });

  it('drops records below its level and routes Nest Logger calls through itself', () => {
    const { logger, lines } = capture({ level: 'warn' });
    Logger.overrideLogger(logger);
    try {
      new Logger('Quiet').log('not written');
      new Logger('Loud').warn(`key ${API_KEY} seen`);
    } finally {
      Logger.overrideLogger(true);
    }
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        context: 'Loud',
        msg: 'key tcg_AbCdEfGh1234_[Redacted] seen',
      }),
    ]);
  });

  it('pretty format prints readable lines, redacted the same way', () => {
    const { logger, text } = capture({ format: 'pretty' });
    logger.log({ msg: `using ${API_KEY}`, headers: { authorization: `Bearer ${JWT}` } }, 'Auth');
    expect(text()).toMatch(/INFO.*\[Auth\] using tcg_AbCdEfGh1234_\[Redacted\]/);
    expect(text()).toContain('[Redacted]');
    expect(text()).not.toContain('tkxgIWMDJQGZxB');
    expect(text()).not.toContain(JWT);
  });
});
