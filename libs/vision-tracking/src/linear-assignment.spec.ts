import fc from 'fast-check';
import { assignWithCostLimit } from './linear-assignment';

/** Best achievable Σ (cost − limit) over matchings using only pairs within the limit (brute force). */
function bruteForceBest(costs: number[][], limit: number): number {
  const cols = costs[0]?.length ?? 0;
  const used = new Array<boolean>(cols).fill(false);
  const search = (row: number): number => {
    if (row === costs.length) return 0;
    let best = search(row + 1); // row unmatched
    for (let c = 0; c < cols; c++) {
      if (used[c] || !(costs[row][c] <= limit)) continue;
      used[c] = true;
      best = Math.min(best, costs[row][c] - limit + search(row + 1));
      used[c] = false;
    }
    return best;
  };
  return search(0);
}

const flat = (costs: number[][]): Float64Array => Float64Array.from(costs.flat());

describe('assignWithCostLimit', () => {
  it('matches pairs within the limit at least total cost, and leaves the rest unmatched', () => {
    const costs = [
      [0.1, 0.9, 0.3],
      [0.2, 0.95, 0.99],
    ];
    // 0.1 + 0.99 is out (0.99 > 0.8): the best is row 0 → col 2, row 1 → col 0 (0.3 + 0.2).
    expect(assignWithCostLimit(flat(costs), 2, 3, 0.8)).toEqual({
      matches: [
        [0, 2],
        [1, 0],
      ],
      unmatchedRows: [],
      unmatchedCols: [1],
    });
  });

  it('prefers leaving both unmatched over a pair above the limit', () => {
    expect(assignWithCostLimit(flat([[0.81]]), 1, 1, 0.8)).toEqual({
      matches: [],
      unmatchedRows: [0],
      unmatchedCols: [0],
    });
  });

  it('handles empty sides', () => {
    expect(assignWithCostLimit(new Float64Array(0), 0, 3, 0.8)).toEqual({
      matches: [],
      unmatchedRows: [],
      unmatchedCols: [0, 1, 2],
    });
    expect(assignWithCostLimit(new Float64Array(0), 2, 0, 0.8).unmatchedRows).toEqual([0, 1]);
  });

  it('reaches the brute-force optimum (lapjv with cost_limit) on random matrices', () => {
    const matrixArb = fc
      .record({ rows: fc.integer({ min: 0, max: 6 }), cols: fc.integer({ min: 0, max: 6 }) })
      .chain(({ rows, cols }) =>
        fc.record({
          costs: fc.array(
            fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(1)), {
              minLength: cols,
              maxLength: cols,
            }),
            { minLength: rows, maxLength: rows },
          ),
          cols: fc.constant(cols),
          limit: fc.constantFrom(0.5, 0.7, 0.8, 0.9),
        }),
      );
    fc.assert(
      fc.property(matrixArb, ({ costs, cols, limit }) => {
        const result = assignWithCostLimit(flat(costs), costs.length, cols, limit);
        const total = result.matches.reduce((sum, [r, c]) => sum + costs[r][c] - limit, 0);
        expect(total).toBeCloseTo(bruteForceBest(costs, limit), 9);
        for (const [r, c] of result.matches) expect(costs[r][c]).toBeLessThanOrEqual(limit);
        // Every row and column is either matched once or listed as unmatched.
        const rows = [...result.matches.map(([r]) => r), ...result.unmatchedRows].sort(
          (a, b) => a - b,
        );
        const columns = [...result.matches.map(([, c]) => c), ...result.unmatchedCols].sort(
          (a, b) => a - b,
        );
        expect(rows).toEqual([...Array(costs.length).keys()]);
        expect(columns).toEqual([...Array(cols).keys()]);
        const matchRows = result.matches.map(([r]) => r);
        expect(matchRows).toEqual([...matchRows].sort((a, b) => a - b));
      }),
      { seed: 4242, numRuns: 400 },
    );
  });

  it('solves crowds as independent groups: a large sparse frame stays cheap and optimal', () => {
    // 300 tracks and 300 detections in pairs far apart: 300 one-to-one groups, not one 600² matrix.
    const n = 300;
    const costs = new Float64Array(n * n).fill(1);
    for (let i = 0; i < n; i++) costs[i * n + ((i * 7) % n)] = 0.2;
    const result = assignWithCostLimit(costs, n, n, 0.8);
    expect(result.matches).toHaveLength(n);
    for (const [r, c] of result.matches) expect(c).toBe((r * 7) % n);
  });
});
