import type { Clock, Timer } from '../src/admission/clock';

/** A clock that moves only when told: timers fire in deadline order as `advance` passes them. */
export class FakeClock implements Clock {
  private current: number;
  private readonly timers: { at: number; seq: number; fire: () => void }[] = [];
  private seq = 0;

  constructor(start = 1_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, fire: () => void): Timer {
    const timer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, fire };
    this.timers.push(timer);
    return {
      cancel: () => {
        const index = this.timers.indexOf(timer);
        if (index >= 0) this.timers.splice(index, 1);
      },
    };
  }

  /** Timers still pending. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing each timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers
        .filter((timer) => timer.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.current = due.at;
      due.fire();
    }
    this.current = target;
  }
}
