/**
 * Follows a readiness flag that can only be polled (`InferenceBackend.isReady()`) and reports each
 * change, starting with the current value. Used for gRPC health, whose Watch streams must see the
 * backend come and go rather than the state at start-up.
 */
export class ReadinessWatch {
  private timer?: NodeJS.Timeout;
  private last?: boolean;

  constructor(
    private readonly isReady: () => boolean,
    private readonly intervalMs: number,
    private readonly onChange: (ready: boolean) => void,
  ) {}

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the flag now; reports it when it differs from the last report. */
  check(): void {
    let ready: boolean;
    try {
      ready = this.isReady();
    } catch {
      ready = false; // a backend that cannot say is not ready
    }
    if (ready === this.last) return;
    this.last = ready;
    this.onChange(ready);
  }
}
