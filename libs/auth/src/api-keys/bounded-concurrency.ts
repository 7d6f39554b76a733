/** Gives a slot back; calling it twice gives back one. */
export type Release = () => void;

/**
 * At most `slots` tasks at once and at most `maxWaiting` waiting for one, first come first served.
 * Beyond that `acquire` answers undefined at once, so a flood is refused instead of queued.
 */
export class BoundedConcurrency {
  private active = 0;
  private readonly queue: ((release: Release) => void)[] = [];

  constructor(
    private readonly slots: number,
    private readonly maxWaiting: number,
    private readonly onChange: (running: number, waiting: number) => void = () => undefined,
  ) {}

  /** A slot (once one is free), or undefined when the queue is full. */
  acquire(): Promise<Release> | undefined {
    if (this.active < this.slots) {
      this.active += 1;
      this.changed();
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.maxWaiting) return undefined;
    const slot = new Promise<Release>((resolve) => this.queue.push(resolve));
    this.changed();
    return slot;
  }

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      // The slot passes straight to the next waiter, so nobody can overtake the queue.
      if (next) next(this.releaser());
      else this.active -= 1;
      this.changed();
    };
  }

  private changed(): void {
    this.onChange(this.active, this.queue.length);
  }
}
