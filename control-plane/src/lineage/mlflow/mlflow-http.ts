/**
 * HTTP to one MLflow tracking server: every call bounded in time and in the bytes read, and every
 * failure turned into a ControlPlaneFailure that names the server and what was asked of it.
 * Redirects are not followed: they would carry the token elsewhere, and a tracking URI that
 * redirects is a configuration mistake better named than hidden.
 */
import { type z } from 'zod';
import { ControlPlaneFailure } from '../../errors/control-plane-error';
import { errorAnswer, type ErrorAnswer } from './mlflow-wire';
import { type MlflowClientOptions } from './mlflow-types';

const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
// An error answer is a short JSON document; anything longer is not read further.
const MAX_ERROR_BYTES = 64 * 1024;
const MAX_UPSTREAM_TEXT = 200;

/** What a call asks for, in words for messages ("run \"abc\""), and which refusals mean "no such". */
export interface MlflowCall {
  what: string;
  /** MLflow answers some lookups of a missing thing with another code than RESOURCE_DOES_NOT_EXIST. */
  notFound?: (error: { errorCode: string; message: string }) => boolean;
}

/** A successful answer whose body the caller reads; `touch()` re-arms the idle timeout. */
export interface OpenAnswer {
  response: Response;
  body: ReadableStream<Uint8Array>;
  touch(): void;
  /** Stops the timer; call when done with the body, read or not. */
  close(): void;
  /** The failure to throw for an error raised while reading the body. */
  failure(error: unknown): ControlPlaneFailure;
}

export class MlflowHttp {
  /** The tracking URI as messages show it: no credentials, no trailing slash. */
  readonly shownUri: string;
  private readonly base: string;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: MlflowClientOptions) {
    let url: URL;
    try {
      url = new URL(options.trackingUri);
    } catch {
      throw new ControlPlaneFailure('BAD_USER_INPUT', 'MLflow tracking URI is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ControlPlaneFailure(
        'BAD_USER_INPUT',
        `MLflow tracking URI must be http or https, not ${url.protocol}`,
      );
    }
    if (!(options.timeoutMs > 0)) {
      throw new ControlPlaneFailure('BAD_USER_INPUT', 'MLflow timeoutMs must be positive');
    }
    this.base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.shownUri = this.base;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** GET `path` with `query`, read at most maxResponseBytes, parse and check against `schema`. */
  async getJson<Schema extends z.ZodType>(
    path: string,
    query: Record<string, string>,
    schema: Schema,
    call: MlflowCall,
  ): Promise<z.output<Schema>> {
    const search = new URLSearchParams(query).toString();
    const answer = await this.open(search ? `${path}?${search}` : path, call);
    let text: string;
    try {
      text = await readBounded(answer, this.maxResponseBytes, () =>
        this.fail(
          'UPSTREAM_ERROR',
          `answered ${call.what} with more than ${this.maxResponseBytes} bytes`,
        ),
      );
    } catch (error) {
      throw answer.failure(error);
    } finally {
      answer.close();
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw this.fail('UPSTREAM_ERROR', `answered ${call.what} with a body that is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? issue.path.join('.') || '(root)' : '(root)';
      throw this.fail('UPSTREAM_ERROR', `answered ${call.what} with unexpected JSON at ${where}`);
    }
    return parsed.data;
  }

  /**
   * GET `pathAndQuery` and hand back a 2xx answer unread; refusals become failures here. The
   * timeout covers the wait for the headers, then each wait for body bytes (touch()).
   */
  async open(pathAndQuery: string, call: MlflowCall): Promise<OpenAnswer> {
    const timer = new CallTimer(this.options.timeoutMs);
    const failure = (error: unknown): ControlPlaneFailure =>
      error instanceof ControlPlaneFailure ? error : this.unreachable(error, timer, call);
    let response: Response;
    try {
      response = await fetch(`${this.base}${pathAndQuery}`, {
        headers: this.headers(),
        redirect: 'manual',
        signal: timer.signal,
      });
    } catch (error) {
      timer.clear();
      throw failure(error);
    }
    const answer: OpenAnswer = {
      response,
      body: response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() }),
      touch: () => timer.refresh(),
      close: () => timer.clear(),
      failure,
    };
    if (response.status >= 200 && response.status < 300) return answer;
    try {
      throw await this.refusal(answer, call);
    } finally {
      answer.close();
    }
  }

  /** A failure naming this server, for callers that find something wrong in an answer. */
  fail(
    code: ControlPlaneFailure['code'],
    message: string,
    extensions: Record<string, unknown> = {},
  ): ControlPlaneFailure {
    return new ControlPlaneFailure(code, `MLflow at ${this.shownUri} ${message}`, extensions);
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    return headers;
  }

  private unreachable(error: unknown, timer: CallTimer, call: MlflowCall): ControlPlaneFailure {
    if (timer.timedOut) {
      return this.fail(
        'UPSTREAM_UNAVAILABLE',
        `did not answer ${call.what} within ${this.options.timeoutMs} ms`,
      );
    }
    return new ControlPlaneFailure(
      'UPSTREAM_UNAVAILABLE',
      `cannot reach MLflow at ${this.shownUri} for ${call.what} (${networkReason(error)})`,
    );
  }

  private async refusal(answer: OpenAnswer, call: MlflowCall): Promise<ControlPlaneFailure> {
    const { status } = answer.response;
    if (status >= 300 && status < 400) {
      return this.fail(
        'UPSTREAM_ERROR',
        `redirected ${call.what} (HTTP ${status}); set the tracking URI to the address it redirects to`,
      );
    }
    const text = await readBounded(answer, MAX_ERROR_BYTES, () => undefined).catch(() => '');
    const error = parseErrorAnswer(text);
    if (error && 'error_code' in error) {
      const detail = `${error.error_code}: ${upstreamText(error.message)}`;
      const notFound =
        error.error_code === 'RESOURCE_DOES_NOT_EXIST' ||
        call.notFound?.({ errorCode: error.error_code, message: error.message }) === true;
      if (notFound) return this.fail('NOT_FOUND', `has no ${call.what} (${detail})`);
      return this.fail('UPSTREAM_ERROR', `refused ${call.what} (${detail})`, {
        mlflowErrorCode: error.error_code,
        httpStatus: status,
      });
    }
    const detail = error ? `: ${upstreamText(error.detail)}` : '';
    if (status === 502 || status === 503 || status === 504) {
      return this.fail('UPSTREAM_UNAVAILABLE', `is unavailable for ${call.what} (HTTP ${status})`);
    }
    if (status === 401 || status === 403) {
      return this.fail(
        'UPSTREAM_ERROR',
        `refused ${call.what} (HTTP ${status}): check the MLflow token`,
        { httpStatus: status },
      );
    }
    if (status === 404 && !error) {
      // A 404 without MLflow's error body: the path itself is unknown there.
      return this.fail(
        'UPSTREAM_ERROR',
        `has no endpoint for ${call.what} (HTTP 404; is it an MLflow 3 tracking server?)`,
        { httpStatus: status },
      );
    }
    return this.fail('UPSTREAM_ERROR', `refused ${call.what} (HTTP ${status}${detail})`, {
      httpStatus: status,
    });
  }
}

/** An abortable timeout whose firing is remembered, to tell a timeout from a network failure. */
class CallTimer {
  timedOut = false;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, ms);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  refresh(): void {
    this.timer.refresh();
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/**
 * The body as text, refusing (by `tooLarge`'s failure, or by returning what was read so far when
 * it gives none) once it exceeds `maxBytes`: a declared Content-Length is checked before reading.
 */
async function readBounded(
  answer: OpenAnswer,
  maxBytes: number,
  tooLarge: () => ControlPlaneFailure | undefined,
): Promise<string> {
  const declared = Number(answer.response.headers.get('content-length') ?? NaN);
  const reader = answer.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (declared > maxBytes) {
      const failure = tooLarge();
      if (failure) throw failure;
    }
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      answer.touch();
      total += value.byteLength;
      if (total > maxBytes) {
        const failure = tooLarge();
        if (failure) throw failure;
        chunks.push(value.subarray(0, value.byteLength - (total - maxBytes)));
        break;
      }
      chunks.push(value);
    }
  } finally {
    // Ends the transfer of whatever was not read (a hostile server's endless body).
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseErrorAnswer(text: string): ErrorAnswer | undefined {
  try {
    const parsed = errorAnswer.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Upstream text as our messages quote it: its first line, cut short (no tracebacks). */
function upstreamText(text: string): string {
  const line = text.trim().split('\n', 1)[0] ?? '';
  return line.length > MAX_UPSTREAM_TEXT ? `${line.slice(0, MAX_UPSTREAM_TEXT)}…` : line;
}

/** Node's fetch says "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is in its cause. */
function networkReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return error instanceof Error ? upstreamText(error.message) : 'network error';
}
