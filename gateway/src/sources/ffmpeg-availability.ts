import { spawnSync } from 'node:child_process';

/**
 * Why ffmpeg cannot be used (not found, not runnable, no MJPEG encoder), or undefined when it
 * can: for a readiness check at startup, and for tests that need it. Blocks for up to 10 s.
 */
export function ffmpegUnavailableReason(ffmpegPath = 'ffmpeg'): string | undefined {
  const run = spawnSync(ffmpegPath, ['-hide_banner', '-h', 'encoder=mjpeg'], {
    encoding: 'utf8',
    timeout: 10_000,
    shell: false,
  });
  if (run.error) {
    return `cannot run ${ffmpegPath} (${run.error.message}): install ffmpeg (Debian: apt-get install ffmpeg) or set its path`;
  }
  if (run.status !== 0 || !run.stdout.includes('Encoder mjpeg')) {
    return `${ffmpegPath} has no MJPEG encoder (exit ${String(run.status)}): install Debian's ffmpeg`;
  }
  return undefined;
}
