import fc from 'fast-check';
import { TEST_API_KEY } from '../test-gateway';

/** Printable ASCII: what an HTTP client can put in a header value at all. */
export const headerText = (maxLength: number) => fc.string({ maxLength });

export const requestTimeout = fc.oneof(
  fc.constantFrom(
    '250',
    '2s',
    '1.5s',
    '1m',
    '0',
    '-1',
    '1.5',
    '1e3',
    'NaN',
    '',
    ' 30s ',
    '99999999999',
  ),
  fc.integer({ min: 0, max: 2 ** 32 }).map(String),
  headerText(8),
);

export const priority = fc.oneof(
  fc.constantFrom('realtime', 'bulk', 'REALTIME', ' bulk ', 'urgent', ''),
  headerText(8),
);

/** Garbage credentials: random text, wrong schemes, key-shaped and JWT-shaped values that are not real. */
const base64url = (length: number) =>
  fc.string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
    minLength: length,
    maxLength: length,
  });
const flippedTestKey = fc.integer({ min: 4, max: TEST_API_KEY.length - 1 }).map((at) => {
  const replaced = TEST_API_KEY[at] === 'A' ? 'B' : 'A';
  return `${TEST_API_KEY.slice(0, at)}${replaced}${TEST_API_KEY.slice(at + 1)}`;
});
export const garbageKey = fc.oneof(
  headerText(64),
  fc.tuple(base64url(12), base64url(43)).map(([id, secret]) => `tcg_${id}_${secret}`),
  flippedTestKey,
  fc.constantFrom('tcg_', 'tcg__', `${TEST_API_KEY}x`, TEST_API_KEY.slice(0, -1), 'null'),
  fc.string({ minLength: 1000, maxLength: 4000 }),
);
export const garbageAuthorization = fc.oneof(
  headerText(64),
  garbageKey.map((key) => `Bearer ${key}`),
  fc
    .tuple(base64url(20), base64url(40), base64url(43))
    .map(([header, payload, signature]) => `Bearer eyJ${header}.eyJ${payload}.${signature}`),
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'bearer  x',
    'Basic dXNlcjpwYXNz',
    `Basic ${TEST_API_KEY}`,
    'Bearer a.b.c',
    'Bearer ..',
    'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
  ),
);
