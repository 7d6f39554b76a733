import { readFileSync } from 'node:fs';
import { clockTicks } from '@test-support';

/**
 * Busy CPU seconds of the whole machine since boot (/proc/stat: user, nice, system, irq, softirq),
 * so a window can say how much of the machine went to processes other than the benchmark's.
 */
export function machineBusySeconds(): number {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const [user, nice, system, , , irq, softirq] = cpu.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq) / clockTicks();
}

/** This process's own CPU seconds (the load generator). */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
