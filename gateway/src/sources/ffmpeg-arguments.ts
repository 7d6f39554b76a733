import type { SourceInput, ValidatedSource } from './source-description';

export interface FfmpegArgumentOptions {
  /** Network inputs fail after this long without data, so a dead peer becomes an exit. */
  ioTimeoutMs: number;
}

/**
 * Demuxers a file may be opened with: video containers only. Playlist and list demuxers (hls,
 * concat, ffconcat, image2) would let a file name other files or URLs for ffmpeg to open.
 * Names match ffmpeg's demuxer names (`mov` covers mp4, `matroska` covers webm).
 */
export const FILE_DEMUXERS = [
  'avi',
  'mov',
  'matroska',
  'mpegts',
  'mpeg',
  'flv',
  'asf',
  'ivf',
  'nut',
  'ogg',
  'mjpeg',
  'h264',
  'hevc',
  'm4v',
  'gif',
] as const;

/**
 * Protocols each input kind may open. A file opens only files (no http, subfile, concat, pipe);
 * network inputs open no files at all, so a playlist served to us cannot read the disk.
 */
export const PROTOCOL_WHITELIST: Record<SourceInput['kind'], string> = {
  file: 'file',
  http: 'http,https,tcp,tls,crypto',
  rtsp: 'tcp,tls',
};

/** MJPEG quality (2 best – 31 worst): 4 keeps detail detectors need at a few tens of KiB. */
const JPEG_QUALITY = '4';

/**
 * ffmpeg's argument vector (spawned without a shell) for one source: read the input, keep the
 * first video stream, resample it to `fps`, shrink it to `maxWidth`, write JPEGs to stdout.
 */
export function ffmpegArguments(source: ValidatedSource, options: FfmpegArgumentOptions): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    // Errors only: stderr is kept as the source's last error.
    '-loglevel',
    'error',
    ...inputArguments(source, options),
    '-map',
    '0:v:0',
    '-vf',
    videoFilters(source),
    '-f',
    'image2pipe',
    '-c:v',
    'mjpeg',
    '-q:v',
    JPEG_QUALITY,
    // Each frame leaves as soon as it is encoded, not when an output buffer fills.
    '-flush_packets',
    '1',
    '-',
  ];
}

function inputArguments(source: ValidatedSource, options: FfmpegArgumentOptions): string[] {
  const { input } = source;
  const microseconds = String(Math.round(options.ioTimeoutMs * 1000));
  const whitelist = ['-protocol_whitelist', PROTOCOL_WHITELIST[input.kind]];
  const paced = source.realtime ? ['-re'] : [];
  switch (input.kind) {
    case 'file':
      return [
        ...whitelist,
        '-format_whitelist',
        FILE_DEMUXERS.join(','),
        ...paced,
        ...(source.loop ? ['-stream_loop', '-1'] : []),
        // The explicit protocol: no part of a path can be read as another protocol's prefix.
        '-i',
        `file:${input.path}`,
      ];
    case 'http':
      return [...whitelist, '-rw_timeout', microseconds, ...paced, '-i', input.url];
    case 'rtsp':
      return [
        ...whitelist,
        // TCP: interleaved RTP survives NAT and loses no packets to UDP drops.
        '-rtsp_transport',
        'tcp',
        '-timeout',
        microseconds,
        '-f',
        'rtsp',
        '-i',
        input.url,
      ];
  }
}

function videoFilters(source: ValidatedSource): string {
  const filters = [`fps=${source.fps}`];
  if (source.maxWidth !== undefined) {
    // Never upscale; -2 keeps the aspect ratio with an even height (4:2:0 chroma needs it).
    // The quotes keep the comma inside min() from splitting the filter chain (no shell is involved).
    filters.push(`scale='min(iw,${source.maxWidth})':-2`);
  }
  return filters.join(',');
}
