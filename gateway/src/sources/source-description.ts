import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, normalize, relative, sep } from 'node:path';

/** What a caller asks for: a video to pull, as it arrives from an API (every field checked). */
export interface SourceDescription {
  /** An absolute file path, or an rtsp://, rtsps://, http:// or https:// URL. */
  url: string;
  /** Frames per second delivered, 1 to 60 (ffmpeg drops or repeats frames to reach it). */
  fps: number;
  /** Frames wider than this are scaled down to it, keeping the aspect ratio. */
  maxWidth?: number;
  /** Files only: start again at the end, forever. */
  loop?: boolean;
  /** Read files and HTTP inputs at their native frame rate (RTSP is live already). */
  realtime?: boolean;
}

export type SourceField = keyof SourceDescription;

/** Where ffmpeg reads from: the input kinds decide its options and its protocol whitelist. */
export type SourceInput =
  { kind: 'file'; path: string } | { kind: 'rtsp'; url: string } | { kind: 'http'; url: string };

/** A description that passed validateSourceDescription; the only thing ffmpeg arguments are built from. */
export interface ValidatedSource {
  input: SourceInput;
  fps: number;
  maxWidth: number | undefined;
  loop: boolean;
  realtime: boolean;
}

export interface SourceValidationOptions {
  /**
   * Folders a file source must lie in (after symlinks are resolved). Unset: any absolute path,
   * for operator-configured sources; set it when clients name the files.
   */
  allowedFileRoots?: readonly string[];
}

/** A refused description; `field` names the offending field for an INVALID_ARGUMENT answer. */
export class InvalidSourceError extends Error {
  override readonly name = 'InvalidSourceError';

  constructor(
    readonly field: SourceField,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export const MIN_FPS = 1;
export const MAX_FPS = 60;
export const MIN_MAX_WIDTH = 16;
export const MAX_MAX_WIDTH = 7680;
/** Far above any real URL or path; keeps a hostile one from reaching ffmpeg's fixed buffers. */
const MAX_URL_CHARS = 4096;
const ACCEPTED = 'an absolute file path or an rtsp://, rtsps://, http:// or https:// URL';
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Checks a description and says which field is wrong; nothing here reaches a shell or ffmpeg. */
export function validateSourceDescription(
  description: SourceDescription,
  options: SourceValidationOptions = {},
): ValidatedSource {
  const input = validatedInput(description.url, options);
  const fps = validatedFps(description.fps);
  const maxWidth = validatedMaxWidth(description.maxWidth);
  const loop = optionalBoolean('loop', description.loop);
  const realtime = optionalBoolean('realtime', description.realtime);
  if (loop && input.kind !== 'file') {
    throw new InvalidSourceError('loop', 'only file sources can loop (rtsp and http are streams)');
  }
  return { input, fps, maxWidth, loop, realtime };
}

function validatedInput(url: unknown, options: SourceValidationOptions): SourceInput {
  if (typeof url !== 'string' || url === '') {
    throw new InvalidSourceError('url', `must be ${ACCEPTED}`);
  }
  if (url.length > MAX_URL_CHARS) {
    throw new InvalidSourceError('url', `is longer than ${MAX_URL_CHARS} characters`);
  }
  if (url.includes('\0')) throw new InvalidSourceError('url', 'must not contain NUL bytes');
  if (CONTROL_CHARACTER.test(url)) {
    throw new InvalidSourceError('url', 'must not contain control characters');
  }
  if (url.startsWith('/')) return { kind: 'file', path: validatedFile(url, options) };
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw new InvalidSourceError('url', `is a relative path or has no scheme: give ${ACCEPTED}`);
  }
  // Only the scheme is echoed: URLs of cameras often carry a password.
  if (scheme === 'rtsp' || scheme === 'rtsps') return { kind: 'rtsp', url: parsedUrl(url) };
  if (scheme === 'http' || scheme === 'https') return { kind: 'http', url: parsedUrl(url) };
  throw new InvalidSourceError('url', `scheme '${scheme}:' is not accepted: give ${ACCEPTED}`);
}

function parsedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidSourceError('url', 'is not a valid URL');
  }
  if (parsed.hostname === '') throw new InvalidSourceError('url', 'has no host');
  // The parsed form, so ffmpeg sees the same percent-encoded URL that was checked.
  return parsed.href;
}

function validatedFile(path: string, options: SourceValidationOptions): string {
  if (!isAbsolute(path)) throw new InvalidSourceError('url', 'file paths must be absolute');
  const roots = options.allowedFileRoots?.map((root) => normalize(root));
  const lexical = normalize(path);
  if (roots && !insideAny(lexical, roots)) {
    throw new InvalidSourceError('url', 'file is outside the folders sources may read');
  }
  let real: string;
  try {
    real = realpathSync(lexical);
  } catch {
    throw new InvalidSourceError('url', `file '${lexical}' does not exist`);
  }
  // Again after symlinks: a link inside an allowed folder may point anywhere.
  if (roots && !insideAny(real, roots.map(realRoot))) {
    throw new InvalidSourceError('url', 'file is outside the folders sources may read');
  }
  // A regular file only: a FIFO or a device (/dev/zero) would feed ffmpeg forever.
  if (!statSync(real).isFile()) {
    throw new InvalidSourceError('url', `'${lexical}' is not a regular file`);
  }
  return real;
}

function realRoot(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}

function insideAny(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => {
    const inside = relative(root, path);
    const escapes = inside === '..' || inside.startsWith(`..${sep}`);
    return inside !== '' && !escapes && !isAbsolute(inside);
  });
}

function validatedFps(fps: unknown): number {
  if (typeof fps !== 'number' || !Number.isFinite(fps) || fps < MIN_FPS || fps > MAX_FPS) {
    throw new InvalidSourceError('fps', `must be a number from ${MIN_FPS} to ${MAX_FPS}`);
  }
  return fps;
}

function validatedMaxWidth(maxWidth: unknown): number | undefined {
  if (maxWidth === undefined) return undefined;
  if (
    typeof maxWidth !== 'number' ||
    !Number.isInteger(maxWidth) ||
    maxWidth < MIN_MAX_WIDTH ||
    maxWidth > MAX_MAX_WIDTH
  ) {
    throw new InvalidSourceError(
      'maxWidth',
      `must be a whole number of pixels from ${MIN_MAX_WIDTH} to ${MAX_MAX_WIDTH}`,
    );
  }
  return maxWidth;
}

function optionalBoolean(field: 'loop' | 'realtime', value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new InvalidSourceError(field, 'must be true or false');
  return value;
}
