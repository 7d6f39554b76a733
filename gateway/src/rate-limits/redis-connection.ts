import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  url: string;
  /** Longest a limit check waits for Redis before the insurance limiter answers instead. */
  commandTimeoutMs: number;
  /** Told when the connection becomes usable (true) or is lost (false). */
  onStatus?: (up: boolean) => void;
}

/**
 * A Redis client that never makes a request wait on a dead or frozen Redis: no offline queue and
 * no retries (a command while disconnected fails at once), a short command timeout (a frozen server
 * answers nothing), and reconnection every second at most so shared limits come back soon.
 */
export function connectRedis(options: RedisConnectionOptions): Redis {
  const logger = new Logger('RateLimits');
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: Math.max(1000, options.commandTimeoutMs),
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
  });
  // Announced once per outage: 'reconnecting' repeats every attempt, and never follows a
  // deliberate disconnect (shutdown), which must not read as an outage.
  let degraded = false;
  client.on('ready', () => {
    logger.log(
      degraded
        ? 'Redis is back: rate limits are shared across replicas again'
        : 'Redis ready: rate limits are shared across replicas',
    );
    degraded = false;
    options.onStatus?.(true);
  });
  client.on('close', () => options.onStatus?.(false));
  client.on('reconnecting', () => {
    if (degraded) return;
    degraded = true;
    logger.warn(
      'Redis unreachable: each replica enforces its share of every limit until it is back',
    );
  });
  // Without a listener ioredis reports every failed reconnect as an unhandled error event.
  client.on('error', (error: Error) => logger.debug(`Redis: ${error.message}`));
  return client;
}
