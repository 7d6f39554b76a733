import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { clockTicks } from './process-stats';

/** How a server process's event loop fared over a window, read from inside it. */
export interface EventLoopReading {
  /**
   * Longest event-loop delay, ms (perf_hooks.monitorEventLoopDelay, 5 ms resolution): wall time,
   * so it includes time the process waited for a core.
   */
  eventLoopMaxMs: number;
  /**
   * Most CPU time the main thread spent between two turns of the event loop, ms (its /proc CPU
   * time, read at every turn of a 5 ms timer; clock-tick granularity, 10 ms): the process's own
   * blocking, which other processes competing for the cores do not inflate.
   */
  eventLoopBlockMaxMs: number;
}

/**
 * Watches the calling process's event loop (in a server process that tests measure); `take()`
 * returns what it saw since the previous take and starts a new window. Linux only (/proc).
 */
export function watchEventLoop(): { take(): EventLoopReading } {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const stat = `/proc/${process.pid}/task/${process.pid}/stat`;
  const msPerTick = 1000 / clockTicks();
  const mainThreadCpuMs = (): number => {
    const text = readFileSync(stat, 'utf8');
    // After the command name (which may hold spaces): utime and stime are fields 14 and 15.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * msPerTick;
  };
  let lastAt = performance.now();
  let lastCpu = mainThreadCpuMs();
  let blockMax = 0;
  setInterval(() => {
    const at = performance.now();
    const cpu = mainThreadCpuMs();
    // CPU time can run a clock tick ahead of the wall gap: never count more than the gap.
    blockMax = Math.max(blockMax, Math.min(at - lastAt, cpu - lastCpu));
    lastAt = at;
    lastCpu = cpu;
  }, 5).unref();
  return {
    take: () => {
      const reading = { eventLoopMaxMs: delay.max / 1e6, eventLoopBlockMaxMs: blockMax };
      delay.reset();
      blockMax = 0;
      return reading;
    },
  };
}
