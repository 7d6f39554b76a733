/** Longest caller value an error message quotes in full (model names, header values, ...). */
export const QUOTED_VALUE_MAX_CHARS = 64;

/**
 * A caller's value as an error message quotes it: `'value'`, or, when longer than `maxChars`, its
 * start and its length, `'valu…' (5000 characters)`, so an answer never echoes input at full length.
 */
export function quoted(value: string, maxChars = QUOTED_VALUE_MAX_CHARS): string {
  if (value.length <= maxChars) return `'${value}'`;
  return `'${head(value, maxChars)}…' (${value.length} characters)`;
}

/** `text` cut to `maxChars` with its length said, or as it is when it fits. */
export function truncated(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${head(text, maxChars)}… (${text.length} characters)`;
}

/** The first `maxChars` UTF-16 units, without half of a surrogate pair at the end. */
function head(text: string, maxChars: number): string {
  const cut = text.slice(0, maxChars);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
