import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const PYTHON = resolve(__dirname, '../../.venv/bin/python');

export interface Series {
  label: string;
  x: number[];
  y: number[];
  style?: 'line' | 'step' | 'points';
}

export interface Panel {
  title: string;
  xlabel: string;
  ylabel: string;
  logy?: boolean;
  /** Log base 2 x axis with the data's x values as ticks (e.g. concurrency 1, 4, 16, 64). */
  logx2?: boolean;
  series: Series[];
  /** Vertical markers, e.g. "backend killed". */
  marks?: { x: number; label: string }[];
}

/** Writes a PNG of stacked line-chart panels with matplotlib (.venv, scripts/requirements-test.txt). */
export function plotLines(output: string, title: string, panels: Panel[]): void {
  execFileSync(PYTHON, [resolve(__dirname, 'plot-lines.py')], {
    input: JSON.stringify({ output, title, panels }),
    stdio: ['pipe', 'inherit', 'inherit'],
  });
}
