import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

/** Where a benchmark ran: absolute numbers only compare between runs with the same of these. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  /** 1/5/15-minute load averages when the run started: a busy shared machine shows here. */
  loadAverageAtStart: number[];
  node: string;
  platform: string;
  date: string;
  gitCommit: string;
  /** Uncommitted changes in the checkout: the commit alone does not pin the code measured. */
  gitDirty: boolean;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

export function machineInfo(): MachineInfo {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
    gitCommit: git(['rev-parse', 'HEAD'])?.trim() ?? 'unknown',
    gitDirty: (git(['status', '--porcelain'])?.trim().length ?? 0) > 0,
  };
}
