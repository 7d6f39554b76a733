import { GatewayError, MAX_ERROR_MESSAGE_CHARS } from './gateway-error';
import { quoted, QUOTED_VALUE_MAX_CHARS, truncated } from './quoted-value';

describe('quoted caller values', () => {
  it('quotes a short value as it is', () => {
    expect(quoted('nanodet')).toBe("'nanodet'");
    expect(quoted('x'.repeat(QUOTED_VALUE_MAX_CHARS))).toBe(
      `'${'x'.repeat(QUOTED_VALUE_MAX_CHARS)}'`,
    );
  });

  it('cuts a long value and says how long it was', () => {
    expect(quoted('x'.repeat(5000))).toBe(
      `'${'x'.repeat(QUOTED_VALUE_MAX_CHARS)}…' (5000 characters)`,
    );
    expect(quoted('abcdef', 3)).toBe("'abc…' (6 characters)");
  });

  it('never ends a cut on half of a surrogate pair', () => {
    const value = `${'x'.repeat(QUOTED_VALUE_MAX_CHARS - 1)}😀😀`;
    expect(quoted(value)).toBe(
      `'${'x'.repeat(QUOTED_VALUE_MAX_CHARS - 1)}…' (${value.length} characters)`,
    );
  });

  it('truncates text without quotes', () => {
    expect(truncated('short', 10)).toBe('short');
    expect(truncated('0123456789abc', 10)).toBe('0123456789… (13 characters)');
  });

  it('bounds every GatewayError message, whatever was put in it', () => {
    const error = new GatewayError('invalid_argument', `bad ${'v'.repeat(1_000_000)}`);
    expect(error.message.length).toBeLessThan(MAX_ERROR_MESSAGE_CHARS + 40);
    expect(error.message).toMatch(/… \(1000004 characters\)$/);
  });
});
