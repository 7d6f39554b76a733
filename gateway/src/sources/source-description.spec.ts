import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InvalidSourceError,
  validateSourceDescription,
  type SourceDescription,
  type SourceField,
} from './source-description';

const folder = mkdtempSync(join(tmpdir(), 'source-description-'));
const video = join(folder, 'allowed', 'clip.avi');
mkdirSync(join(folder, 'allowed'));
mkdirSync(join(folder, 'elsewhere'));
writeFileSync(video, 'not decoded here');
writeFileSync(join(folder, 'elsewhere', 'secret.avi'), 'x');
symlinkSync(join(folder, 'elsewhere', 'secret.avi'), join(folder, 'allowed', 'link.avi'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function refusal(description: SourceDescription, allowedFileRoots?: string[]): InvalidSourceError {
  try {
    validateSourceDescription(description, { allowedFileRoots });
  } catch (error) {
    if (error instanceof InvalidSourceError) return error;
    throw error;
  }
  throw new Error('accepted');
}

function refusedField(description: SourceDescription): SourceField {
  return refusal(description).field;
}

describe('validateSourceDescription', () => {
  it('accepts an existing absolute file and gives ffmpeg its real path', () => {
    expect(validateSourceDescription({ url: video, fps: 10, loop: true, realtime: true })).toEqual({
      input: { kind: 'file', path: video },
      fps: 10,
      maxWidth: undefined,
      loop: true,
      realtime: true,
    });
  });

  it('accepts rtsp, rtsps, http and https URLs, normalised', () => {
    const kinds = ['rtsp://cam/live', 'RTSPS://cam:322/a', 'http://h/x.mjpg', 'https://h/x'].map(
      (url) => validateSourceDescription({ url, fps: 5 }).input.kind,
    );
    expect(kinds).toEqual(['rtsp', 'rtsp', 'http', 'http']);
    expect(validateSourceDescription({ url: 'http://h/a b', fps: 5 }).input).toEqual({
      kind: 'http',
      url: 'http://h/a%20b',
    });
  });

  it.each([
    ['ftp://h/x', "scheme 'ftp:' is not accepted"],
    ['file:///etc/passwd', "scheme 'file:' is not accepted"],
    ['concat:/a.avi|/b.avi', "scheme 'concat:' is not accepted"],
    ['subfile,,start,0,end,0,,:/etc/passwd', 'relative path or has no scheme'],
    ['pipe:0', "scheme 'pipe:' is not accepted"],
    ['videos/clip.avi', 'relative path or has no scheme'],
    ['./clip.avi', 'relative path or has no scheme'],
    ['', 'must be an absolute file path'],
    [`${video}\0.png`, 'must not contain NUL bytes'],
    ['http://h/x\r\nHost: evil', 'must not contain control characters'],
    ['rtsp:///live', 'has no host'],
    ['http://', 'is not a valid URL'],
    ['/no/such/file.avi', "file '/no/such/file.avi' does not exist"],
    [folder, 'is not a regular file'],
    ['/dev/zero', 'is not a regular file'],
  ])('refuses url %j naming the field', (url, reason) => {
    const error = refusal({ url, fps: 5 });
    expect(error.field).toBe('url');
    expect(error.message).toContain(`url: `);
    expect(error.message).toContain(reason);
  });

  it('never echoes a URL (camera URLs carry passwords), only its scheme', () => {
    expect(refusal({ url: 'rtmp://admin:hunter2@cam/x', fps: 5 }).message).not.toContain('hunter2');
  });

  it('refuses a path longer than any real one', () => {
    expect(refusal({ url: `/${'a'.repeat(5000)}`, fps: 5 }).message).toContain('longer than');
  });

  it('keeps files inside allowedFileRoots, after resolving symlinks and dot segments', () => {
    const roots = [join(folder, 'allowed')];
    expect(validateSourceDescription({ url: video, fps: 1 }, { allowedFileRoots: roots })).toEqual(
      expect.objectContaining({ input: { kind: 'file', path: video } }),
    );
    for (const url of [
      join(folder, 'allowed', 'link.avi'),
      `${folder}/allowed/../elsewhere/secret.avi`,
      join(folder, 'elsewhere', 'secret.avi'),
    ]) {
      expect(refusal({ url, fps: 1 }, roots).message).toContain('outside the folders');
    }
  });

  it.each([0, 0.5, 61, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number])(
    'refuses fps %p',
    (fps) => expect(refusedField({ url: video, fps })).toBe('fps'),
  );

  it('accepts fractional fps within range', () => {
    expect(validateSourceDescription({ url: video, fps: 7.5 }).fps).toBe(7.5);
  });

  it.each([15, 320.5, 10_000, -640])('refuses maxWidth %p', (maxWidth) => {
    expect(refusedField({ url: video, fps: 5, maxWidth })).toBe('maxWidth');
  });

  it('refuses loop for streams and non-boolean flags', () => {
    expect(refusal({ url: 'rtsp://cam/x', fps: 5, loop: true }).message).toBe(
      'loop: only file sources can loop (rtsp and http are streams)',
    );
    expect(refusedField({ url: video, fps: 5, realtime: 'yes' as unknown as boolean })).toBe(
      'realtime',
    );
  });
});
