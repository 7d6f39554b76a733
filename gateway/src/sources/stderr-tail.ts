/** `scheme://user:password@` in a URL ffmpeg echoes back: camera URLs often carry credentials. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;

/** Replaces the user and password of any URL in `text`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1***@');
}

/**
 * The last `maxBytes` of a child's stderr: enough to say why ffmpeg failed, bounded however much
 * it writes (a damaged stream can log an error per frame for hours).
 */
export class StderrTail {
  private tail = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) {
      throw new RangeError('maxBytes must be a whole number of at least 1');
    }
  }

  append(chunk: Buffer): void {
    if (chunk.length >= this.maxBytes) {
      this.tail = Buffer.from(chunk.subarray(chunk.length - this.maxBytes));
      return;
    }
    const kept = Math.min(this.tail.length, this.maxBytes - chunk.length);
    this.tail = Buffer.concat([this.tail.subarray(this.tail.length - kept), chunk]);
  }

  /** The tail as text, credentials redacted, a partial first line (cut by the bound) dropped. */
  text(): string {
    let text = this.tail.toString('utf8');
    const cut = this.tail.length === this.maxBytes ? text.indexOf('\n') : -1;
    if (cut >= 0 && cut < text.length - 1) text = text.slice(cut + 1);
    return redactUrlCredentials(text.trim());
  }
}
