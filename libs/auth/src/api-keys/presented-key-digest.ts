import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What the gateway remembers of a presented API key (verified, known good, known wrong): an
 * HMAC-SHA256 under a random key made at start-up, never the key. A fast hash is enough here: the
 * secrets are 256 random bits, so a digest read from a dump of this process cannot be turned back
 * into a key by guessing, and the per-process key keeps digests from matching anything outside it
 * (another replica, a log). Someone who controls the process sees presented keys in requests anyway.
 */
const DIGEST_KEY = randomBytes(32);

export type KeyDigest = string;

export function digestOfPresentedKey(presented: string): KeyDigest {
  return createHmac('sha256', DIGEST_KEY).update(presented).digest('base64');
}

/** Constant-time comparison of two digests. */
export function sameDigest(a: KeyDigest, b: KeyDigest): boolean {
  const left = Buffer.from(a, 'base64');
  const right = Buffer.from(b, 'base64');
  return left.length === right.length && timingSafeEqual(left, right);
}
