/**
 * Minimum-cost assignment with a cost limit, as ByteTrack does it with lapjv(extend_cost,
 * cost_limit): each side may stay unmatched at half the limit, so a pair is only worth matching
 * when its cost is below the limit, and among such pairs the total cost is minimal. Solved with
 * munkres on a square matrix padded with limit / 2 entries, exactly lapjv's extension.
 *
 * Pairs above the limit never match, so rows and columns fall apart into independent groups joined
 * only by pairs within the limit; each group is solved on its own. That gives the same optimum
 * and keeps the cubic cost to the size of a crowd rather than the whole frame.
 *
 * A group too large to solve exactly in a frame's time (more than MAX_EXACT_GROUP rows and columns
 * together: hundreds of mutually overlapping boxes, which only hostile or broken input produces) is
 * matched greedily instead, cheapest pair first, each row considering its GREEDY_CANDIDATES
 * cheapest pairs, so that such input costs O(n log n) rather than O(n³).
 */
import { munkres } from 'munkres';

export interface Assignment {
  /** [row, column] pairs, by ascending row. */
  matches: [number, number][];
  unmatchedRows: number[];
  unmatchedCols: number[];
}

/** Rows + columns of the largest group solved exactly (munkres on a square of this size). */
export const MAX_EXACT_GROUP = 256;
const GREEDY_CANDIDATES = 8;

/** Union-find root with path halving. */
function root(parent: Int32Array, node: number): number {
  let current = node;
  while (parent[current] !== current) {
    parent[current] = parent[parent[current]];
    current = parent[current];
  }
  return current;
}

/** Groups of rows and columns connected by pairs within the limit (node ids: rows, then columns). */
function connectedGroups(
  costs: Float64Array,
  rows: number,
  cols: number,
  limit: number,
): Map<number, { rows: number[]; cols: number[] }> {
  const parent = new Int32Array(rows + cols);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const linked = new Uint8Array(rows + cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (!(costs[r * cols + c] <= limit)) continue;
      linked[r] = linked[rows + c] = 1;
      const a = root(parent, r);
      const b = root(parent, rows + c);
      if (a !== b) parent[a] = b;
    }
  }
  const groups = new Map<number, { rows: number[]; cols: number[] }>();
  for (let node = 0; node < rows + cols; node++) {
    if (linked[node] === 0) continue;
    const key = root(parent, node);
    let group = groups.get(key);
    if (group === undefined) {
      group = { rows: [], cols: [] };
      groups.set(key, group);
    }
    if (node < rows) group.rows.push(node);
    else group.cols.push(node - rows);
  }
  return groups;
}

/** Optimal pairs of one group: munkres on the group's matrix padded to (rows + cols) square. */
function solveGroup(
  costs: Float64Array,
  cols: number,
  group: { rows: number[]; cols: number[] },
  limit: number,
): [number, number][] {
  const { rows: groupRows, cols: groupCols } = group;
  if (groupRows.length === 1 && groupCols.length === 1) return [[groupRows[0], groupCols[0]]];
  if (groupRows.length + groupCols.length > MAX_EXACT_GROUP) {
    return solveGroupGreedily(costs, cols, group, limit);
  }
  const size = groupRows.length + groupCols.length;
  // Above the limit costs more than both staying unmatched: it can never be chosen over them.
  const never = 2 * limit + 1;
  const half = limit / 2;
  const matrix: Float64Array[] = [];
  for (let i = 0; i < size; i++) {
    const line = new Float64Array(size);
    for (let j = 0; j < size; j++) {
      const realRow = i < groupRows.length;
      const realCol = j < groupCols.length;
      if (realRow && realCol) {
        const cost = costs[groupRows[i] * cols + groupCols[j]];
        line[j] = cost <= limit ? cost : never;
      } else {
        line[j] = realRow || realCol ? half : 0;
      }
    }
    matrix.push(line);
  }
  const pairs: [number, number][] = [];
  for (const [i, j] of munkres(matrix)) {
    if (i >= groupRows.length || j >= groupCols.length) continue;
    const row = groupRows[i];
    const col = groupCols[j];
    if (costs[row * cols + col] <= limit) pairs.push([row, col]);
  }
  return pairs;
}

/** Cheapest pair first among each row's few cheapest pairs within the limit (ties: row, column). */
function solveGroupGreedily(
  costs: Float64Array,
  cols: number,
  group: { rows: number[]; cols: number[] },
  limit: number,
): [number, number][] {
  const candidates: { row: number; col: number; cost: number }[] = [];
  for (const row of group.rows) {
    const best: { row: number; col: number; cost: number }[] = [];
    for (const col of group.cols) {
      const cost = costs[row * cols + col];
      if (!(cost <= limit)) continue;
      if (best.length === GREEDY_CANDIDATES && cost >= best[best.length - 1].cost) continue;
      let at = best.length;
      while (at > 0 && best[at - 1].cost > cost) at--;
      best.splice(at, 0, { row, col, cost });
      if (best.length > GREEDY_CANDIDATES) best.pop();
    }
    candidates.push(...best);
  }
  candidates.sort((a, b) => a.cost - b.cost || a.row - b.row || a.col - b.col);
  const rowTaken = new Set<number>();
  const colTaken = new Set<number>();
  const pairs: [number, number][] = [];
  for (const { row, col } of candidates) {
    if (rowTaken.has(row) || colTaken.has(col)) continue;
    rowTaken.add(row);
    colTaken.add(col);
    pairs.push([row, col]);
  }
  return pairs;
}

/**
 * Assigns rows to columns of a row-major cost matrix. A pair is kept only when its cost is at most
 * `limit` (supervision keeps equality too).
 */
export function assignWithCostLimit(
  costs: Float64Array,
  rows: number,
  cols: number,
  limit: number,
): Assignment {
  const matches: [number, number][] = [];
  for (const group of connectedGroups(costs, rows, cols, limit).values()) {
    matches.push(...solveGroup(costs, cols, group, limit));
  }
  matches.sort((a, b) => a[0] - b[0]);
  const rowMatched = new Uint8Array(rows);
  const colMatched = new Uint8Array(cols);
  for (const [r, c] of matches) {
    rowMatched[r] = 1;
    colMatched[c] = 1;
  }
  const unmatchedRows: number[] = [];
  for (let r = 0; r < rows; r++) if (rowMatched[r] === 0) unmatchedRows.push(r);
  const unmatchedCols: number[] = [];
  for (let c = 0; c < cols; c++) if (colMatched[c] === 0) unmatchedCols.push(c);
  return { matches, unmatchedRows, unmatchedCols };
}
