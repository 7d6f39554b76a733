import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_REPOSITORY } from './test-gateway';

const NANODET_LABELS = readFileSync(join(MODEL_REPOSITORY, 'nanodet/labels.txt'), 'utf8').split(
  '\n',
);

/**
 * What Triton's classification extension answers for `scores` ([batch, perRow] of one output):
 * per row the top `count`, by a full sort here (highest first, equal scores by index), each
 * `value:index[:label]` with the value as printf's %f and nanodet's label when `labelled` and the
 * index is within labels.txt (past it, a flattened [cells, 80] row has none, as in Triton).
 */
export function expectedClasses(
  scores: Float32Array,
  batch: number,
  count: number,
  labelled: boolean,
): string[] {
  const perRow = scores.length / batch;
  const strings: string[] = [];
  for (let row = 0; row < batch; row += 1) {
    const values = scores.subarray(row * perRow, (row + 1) * perRow);
    const order = [...values.keys()].sort((a, b) => values[b] - values[a] || a - b);
    for (const index of order.slice(0, count)) {
      const text = `${values[index].toFixed(6)}:${index}`;
      const label = labelled ? NANODET_LABELS[index] : undefined;
      strings.push(label ? `${text}:${label}` : text);
    }
  }
  return strings;
}
