/**
 * Sufficient statistics of a ridge regression with exponential forgetting: XᵀX and Xᵀy over the
 * samples seen so far, each older sample weighted down by `decay` per newer one. Memory and update
 * cost are O(F²) whatever the number of samples, which is what a per-camera online model needs.
 */
export class RidgeStatistics {
  private readonly xtx: Float64Array;
  private readonly xty: Float64Array;
  private readonly factor: Float64Array;
  private readonly scratch: Float64Array;
  private weight = 0;

  constructor(
    readonly features: number,
    private readonly decay: number,
  ) {
    this.xtx = new Float64Array(features * features);
    this.xty = new Float64Array(features);
    this.factor = new Float64Array(features * features);
    this.scratch = new Float64Array(features);
  }

  /** Effective number of samples (forgetting included). */
  get samples(): number {
    return this.weight;
  }

  /** Starts a new sample: forgets a little of the old ones. Add the sample's rows next. */
  beginSample(): void {
    const d = this.decay;
    for (let i = 0; i < this.xtx.length; i++) this.xtx[i] *= d;
    for (let i = 0; i < this.xty.length; i++) this.xty[i] *= d;
    this.weight = this.weight * d + 1;
  }

  /** One regression row: features `x[offset .. offset + F)`, target `y`. */
  addRow(x: Float64Array, offset: number, y: number): void {
    const f = this.features;
    for (let i = 0; i < f; i++) {
      const xi = x[offset + i];
      this.xty[i] += xi * y;
      for (let j = 0; j < f; j++) this.xtx[i * f + j] += xi * x[offset + j];
    }
  }

  /**
   * Ridge solution shrunk towards `prior`: argmin Σ(y − xβ)² + λ‖β − prior‖², with λ worth
   * `priorSamples` average samples (λ = priorSamples · trace(XᵀX) / (F · samples)), so the prior's
   * weight does not depend on the features' units. Returns false (and leaves `out` alone) when the
   * data carry no information (all features zero) or the system is not positive definite.
   */
  solve(prior: readonly number[], priorSamples: number, out: Float64Array): boolean {
    const f = this.features;
    let trace = 0;
    for (let i = 0; i < f; i++) trace += this.xtx[i * f + i];
    if (!(trace > 0) || !(this.weight > 0)) return false;
    const lambda = (priorSamples * trace) / (f * this.weight);
    const l = this.factor;
    const z = this.scratch;
    // Cholesky of XᵀX + λI (lower triangle in `l`), then two triangular solves.
    for (let i = 0; i < f; i++) {
      for (let j = 0; j <= i; j++) {
        let s = this.xtx[i * f + j] + (i === j ? lambda : 0);
        for (let k = 0; k < j; k++) s -= l[i * f + k] * l[j * f + k];
        if (i === j) {
          if (!(s > trace * 1e-12)) return false;
          l[i * f + i] = Math.sqrt(s);
        } else {
          l[i * f + j] = s / l[j * f + j];
        }
      }
    }
    for (let i = 0; i < f; i++) {
      let s = this.xty[i] + lambda * prior[i];
      for (let k = 0; k < i; k++) s -= l[i * f + k] * z[k];
      z[i] = s / l[i * f + i];
    }
    for (let i = f - 1; i >= 0; i--) {
      let s = z[i];
      for (let k = i + 1; k < f; k++) s -= l[k * f + i] * out[k];
      out[i] = s / l[i * f + i];
    }
    return true;
  }
}
