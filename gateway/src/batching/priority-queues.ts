/** What the queues need of an entry: its priority level (0 = highest) and arrival order. */
export interface Ranked {
  level: number;
  readonly seq: number;
}

/**
 * One FIFO queue per priority level, read in rank order: every request of a higher level before any
 * of a lower one, oldest first within a level. Each level has its own bound (Triton's per-level
 * queue policy), so bulk traffic cannot fill the room real-time traffic needs.
 */
export class PriorityQueues<E extends Ranked> {
  private readonly levels: E[][];

  constructor(levelCount: number) {
    this.levels = Array.from({ length: levelCount }, () => []);
  }

  get levelCount(): number {
    return this.levels.length;
  }

  get size(): number {
    return this.levels.reduce((sum, queue) => sum + queue.length, 0);
  }

  lengthOf(level: number): number {
    return this.levels[level].length;
  }

  push(entry: E): void {
    this.levels[entry.level].push(entry);
  }

  /** Takes the entry out; false when it was not queued (already dispatched or dropped). */
  remove(entry: E): boolean {
    const queue = this.levels[entry.level];
    const index = queue.indexOf(entry);
    if (index < 0) return false;
    queue.splice(index, 1);
    return true;
  }

  /** Moves a queued entry to the back of another level (Triton's DELAY on queue timeout). */
  move(entry: E, level: number): void {
    if (!this.remove(entry)) return;
    entry.level = level;
    this.levels[level].push(entry);
  }

  /** A snapshot in rank order, safe to iterate while entries are removed. */
  ranked(): E[] {
    return this.levels.flat();
  }
}
