import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { ffmpegArguments } from './ffmpeg-arguments';
import { JpegFrameSplitter, type SplitDropReason } from './jpeg-frame-splitter';
import type { ValidatedSource } from './source-description';
import { StderrTail } from './stderr-tail';

export interface FfmpegReaderSettings {
  /** The ffmpeg executable: a name looked up on PATH or a path. */
  ffmpegPath: string;
  maxFrameBytes: number;
  stderrTailBytes: number;
  ioTimeoutMs: number;
  /** After SIGTERM, how long ffmpeg may take to exit before SIGKILL. */
  killGraceMs: number;
}

/** How one ffmpeg run ended. */
export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when ffmpeg could not be started at all (not found, not executable). */
  spawnError: string | undefined;
  /** The end of its stderr, credentials redacted. */
  stderrTail: string;
  /** Whether stop() ended it. */
  stopped: boolean;
}

export interface FrameReaderHandlers {
  /** A complete JPEG; called synchronously, so the handler may pause() before the next one. */
  onFrame(image: Buffer): void;
  onDrop(reason: SplitDropReason): void;
  /** Once, after the process exited and all its output was delivered (or discarded by stop()). */
  onExit(exit: FfmpegExit): void;
}

export interface FrameReaderStats {
  bytesRead: number;
  framesRead: number;
  /** Bytes read from ffmpeg but not yet cut into frames. */
  heldBytes: number;
}

type FfmpegChild = ChildProcessByStdio<null, Readable, Readable>;

/**
 * One ffmpeg process decoding one source into JPEG frames. pause() stops taking frames out of
 * the pipe, so ffmpeg blocks on its next write (backpressure); resume() continues. No restarts
 * here: VideoSource decides what follows an exit.
 */
export class FfmpegFrameReader {
  private readonly child: FfmpegChild;
  private readonly splitter: JpegFrameSplitter;
  private readonly stderr: StderrTail;
  private isPaused = false;
  private draining = false;
  private stopRequested = false;
  private bytesRead = 0;
  private framesRead = 0;
  private readonly dropsReported: Record<SplitDropReason, number> = { oversized: 0, malformed: 0 };
  /** Set when the process and its pipes closed; onExit waits for the frames still buffered. */
  private closedWith: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private spawnError: string | undefined;
  private finished = false;
  private readonly exited: Promise<FfmpegExit>;
  private resolveExited!: (exit: FfmpegExit) => void;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    source: ValidatedSource,
    private readonly settings: FfmpegReaderSettings,
    private readonly handlers: FrameReaderHandlers,
  ) {
    this.splitter = new JpegFrameSplitter(settings.maxFrameBytes);
    this.stderr = new StderrTail(settings.stderrTailBytes);
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    // An argument vector, never a shell: nothing in a URL or path is interpreted.
    this.child = spawn(settings.ffmpegPath, ffmpegArguments(source, settings), {
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    this.child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => this.stderr.append(chunk));
    // Pipe errors (EPIPE after stop) surface as the exit; unhandled they would crash the process.
    this.child.stdout.on('error', () => undefined);
    this.child.stderr.on('error', () => undefined);
    this.child.on('error', (error) => this.onSpawnError(error));
    this.child.on('close', (code, signal) => {
      this.closedWith = { code, signal };
      this.finishIfDone();
    });
  }

  /** The process id, while it has one (undefined when it could not be spawned). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** Stops delivering frames; the pipe fills and ffmpeg blocks writing. */
  pause(): void {
    if (this.isPaused) return;
    this.isPaused = true;
    this.child.stdout.pause();
  }

  resume(): void {
    if (!this.isPaused || this.stopRequested) return;
    this.isPaused = false;
    this.drain();
    if (this.isPaused) return;
    this.child.stdout.resume();
    this.finishIfDone();
  }

  /**
   * Ends the process: the read end of its stdout is closed (a blocked write fails at once), then
   * SIGTERM, then SIGKILL after killGraceMs; `immediately` sends SIGKILL first, for a process
   * presumed hung (ffmpeg only gives up a blocked network read on a second signal). Resolves once
   * it has exited.
   */
  stop(immediately = false): Promise<FfmpegExit> {
    if (!this.finished && !this.stopRequested) {
      this.stopRequested = true;
      this.child.stdout.destroy();
      if (this.child.exitCode === null && this.child.signalCode === null) {
        this.child.kill(immediately ? 'SIGKILL' : 'SIGTERM');
        this.killTimer = setTimeout(() => this.child.kill('SIGKILL'), this.settings.killGraceMs);
      }
      this.finishIfDone();
    }
    return this.exited;
  }

  stats(): FrameReaderStats {
    return {
      bytesRead: this.bytesRead,
      framesRead: this.framesRead,
      heldBytes: this.splitter.heldBytes,
    };
  }

  private onStdout(chunk: Buffer): void {
    if (this.stopRequested) return;
    this.bytesRead += chunk.length;
    this.splitter.append(chunk);
    this.drain();
  }

  /** Delivers the frames cut so far until they run out or a handler pauses. */
  private drain(): void {
    // A handler's pause()/resume() may call back in here; the outer loop carries on instead.
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.isPaused && !this.stopRequested) {
        const frame = this.splitter.next();
        if (!frame) break;
        this.framesRead += 1;
        this.handlers.onFrame(frame);
      }
    } finally {
      this.draining = false;
    }
    this.reportDrops();
  }

  private reportDrops(): void {
    const counted = this.splitter.counts.dropped;
    for (const reason of ['oversized', 'malformed'] as const) {
      while (this.dropsReported[reason] < counted[reason]) {
        this.dropsReported[reason] += 1;
        this.handlers.onDrop(reason);
      }
    }
  }

  private onSpawnError(error: Error): void {
    // Also emitted when a kill fails; only a process that never started ends the run here.
    if (this.child.pid !== undefined) return;
    this.spawnError = error.message;
    this.closedWith ??= { code: null, signal: null };
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.finished || !this.closedWith) return;
    // Frames already read out of the pipe are still delivered (a file's last frames) unless stopped.
    if (this.isPaused && !this.stopRequested) return;
    this.finished = true;
    clearTimeout(this.killTimer);
    const exit: FfmpegExit = {
      ...this.closedWith,
      spawnError: this.spawnError,
      stderrTail: this.stderr.text(),
      stopped: this.stopRequested,
    };
    this.handlers.onExit(exit);
    this.resolveExited(exit);
  }
}
