import { ffmpegArguments, FILE_DEMUXERS } from './ffmpeg-arguments';
import type { SourceInput, ValidatedSource } from './source-description';

function source(input: SourceInput, extra: Partial<ValidatedSource> = {}): ValidatedSource {
  return { input, fps: 10, maxWidth: undefined, loop: false, realtime: false, ...extra };
}

/** The value following `flag`, or undefined. */
function valueOf(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

/** The arguments before `-i`: the input options. */
function inputOptions(args: string[]): string[] {
  return args.slice(0, args.indexOf('-i'));
}

const options = { ioTimeoutMs: 5000 };

describe('ffmpegArguments', () => {
  it('reads a file through the file protocol only, with container demuxers only', () => {
    const args = ffmpegArguments(source({ kind: 'file', path: '/v/a b|c.avi' }), options);
    expect(valueOf(args, '-i')).toBe('file:/v/a b|c.avi');
    expect(valueOf(args, '-protocol_whitelist')).toBe('file');
    const demuxers = valueOf(args, '-format_whitelist')?.split(',');
    expect(demuxers).toEqual([...FILE_DEMUXERS]);
    expect(demuxers).not.toEqual(expect.arrayContaining(['hls']));
    expect(demuxers).not.toEqual(expect.arrayContaining(['concat']));
    expect(args).not.toContain('-re');
    expect(args).not.toContain('-stream_loop');
  });

  it('paces a realtime file with -re and loops it with -stream_loop -1, before -i', () => {
    const args = ffmpegArguments(
      source({ kind: 'file', path: '/v/a.avi' }, { realtime: true, loop: true }),
      options,
    );
    expect(inputOptions(args)).toContain('-re');
    expect(valueOf(inputOptions(args), '-stream_loop')).toBe('-1');
  });

  it('reads RTSP over TCP with a socket timeout in microseconds and no file protocol', () => {
    const args = ffmpegArguments(source({ kind: 'rtsp', url: 'rtsp://cam/live' }), options);
    const input = inputOptions(args);
    expect(valueOf(input, '-rtsp_transport')).toBe('tcp');
    expect(valueOf(input, '-timeout')).toBe('5000000');
    expect(valueOf(input, '-f')).toBe('rtsp');
    expect(valueOf(input, '-protocol_whitelist')).toBe('tcp,tls');
    expect(valueOf(args, '-i')).toBe('rtsp://cam/live');
    // RTSP is live: -re would only add latency.
    expect(
      ffmpegArguments(source({ kind: 'rtsp', url: 'rtsp://c/x' }, { realtime: true }), options),
    ).not.toContain('-re');
  });

  it('reads HTTP with an I/O timeout and network protocols only', () => {
    const args = ffmpegArguments(
      source({ kind: 'http', url: 'https://h/x.mp4' }, { realtime: true }),
      options,
    );
    const input = inputOptions(args);
    expect(valueOf(input, '-rw_timeout')).toBe('5000000');
    expect(valueOf(input, '-protocol_whitelist')?.split(',')).not.toContain('file');
    expect(input).toContain('-re');
  });

  it('resamples to fps and shrinks to maxWidth keeping the aspect ratio, never enlarging', () => {
    const plain = ffmpegArguments(source({ kind: 'file', path: '/a.avi' }, { fps: 7.5 }), options);
    expect(valueOf(plain, '-vf')).toBe('fps=7.5');
    const scaled = ffmpegArguments(
      source({ kind: 'file', path: '/a.avi' }, { maxWidth: 640 }),
      options,
    );
    expect(valueOf(scaled, '-vf')).toBe("fps=10,scale='min(iw,640)':-2");
  });

  it('writes MJPEG frames to stdout, the first video stream only, flushed per frame', () => {
    const args = ffmpegArguments(source({ kind: 'http', url: 'http://h/x' }), options);
    expect(valueOf(args, '-map')).toBe('0:v:0');
    expect(valueOf(args, '-loglevel')).toBe('error');
    expect(args).toContain('-nostdin');
    expect(args.slice(-9)).toEqual([
      '-f',
      'image2pipe',
      '-c:v',
      'mjpeg',
      '-q:v',
      '4',
      '-flush_packets',
      '1',
      '-',
    ]);
  });
});
