/**
 * Constant-velocity Kalman filter of a box in xyah form (centre x, centre y, aspect w/h, height)
 * plus the four velocities: the motion model of SORT, DeepSORT and ByteTrack. Noise scales with the
 * box height (σ_position = h/20, σ_velocity = h/160), so near and far objects are equally sure;
 * the aspect ratio gets small fixed noise since people keep their shape.
 *
 * State lives in typed arrays and is updated in place: a tracker runs this for every track on
 * every frame, and the matrices are small and fixed (8 × 8 covariance, 4 × 4 innovation).
 */

export const STATE_SIZE = 8;
const MEASUREMENT_SIZE = 4;
const POSITION_WEIGHT = 1 / 20;
const VELOCITY_WEIGHT = 1 / 160;
/** Fixed standard deviations of the aspect ratio and its velocity (unitless). */
const ASPECT_PROCESS_STD = 1e-2;
const ASPECT_VELOCITY_STD = 1e-5;
const ASPECT_MEASUREMENT_STD = 1e-1;

/** Mean (8) and row-major covariance (8 × 8) of one box's state. */
export interface KalmanState {
  readonly mean: Float64Array;
  readonly covariance: Float64Array;
}

/** A new state from a first measurement: zero velocity, uncertain in proportion to the height. */
export function initiateState(xyah: ArrayLike<number>): KalmanState {
  const mean = new Float64Array(STATE_SIZE);
  for (let i = 0; i < MEASUREMENT_SIZE; i++) mean[i] = xyah[i];
  const h = xyah[3];
  const position = 2 * POSITION_WEIGHT * h;
  const velocity = 10 * VELOCITY_WEIGHT * h;
  const std = [
    position,
    position,
    ASPECT_PROCESS_STD,
    position,
    velocity,
    velocity,
    ASPECT_VELOCITY_STD,
    velocity,
  ];
  const covariance = new Float64Array(STATE_SIZE * STATE_SIZE);
  for (let i = 0; i < STATE_SIZE; i++) covariance[i * STATE_SIZE + i] = std[i] * std[i];
  return { mean, covariance };
}

/** Process noise of one step, diagonal, from the height before the step. */
function processNoise(height: number, out: Float64Array): void {
  const position = POSITION_WEIGHT * height;
  const velocity = VELOCITY_WEIGHT * height;
  out[0] = out[1] = out[3] = position * position;
  out[2] = ASPECT_PROCESS_STD * ASPECT_PROCESS_STD;
  out[4] = out[5] = out[7] = velocity * velocity;
  out[6] = ASPECT_VELOCITY_STD * ASPECT_VELOCITY_STD;
}

const noiseScratch = new Float64Array(STATE_SIZE);
const covarianceScratch = new Float64Array(STATE_SIZE * STATE_SIZE);

/**
 * One time step, in place: x ← F x, P ← F P Fᵀ + Q with F = [[I, I], [0, I]]. With P in blocks
 * [[A, B], [C, D]] (position, velocity), F P Fᵀ = [[A + B + C + D, B + D], [C + D, D]].
 */
export function predictState(state: KalmanState): void {
  const { mean, covariance: p } = state;
  processNoise(mean[3], noiseScratch);
  for (let i = 0; i < MEASUREMENT_SIZE; i++) mean[i] += mean[i + MEASUREMENT_SIZE];

  const n = STATE_SIZE;
  const v = MEASUREMENT_SIZE;
  const next = covarianceScratch;
  for (let r = 0; r < v; r++) {
    for (let c = 0; c < v; c++) {
      const a = p[r * n + c];
      const b = p[r * n + c + v];
      const cc = p[(r + v) * n + c];
      const d = p[(r + v) * n + c + v];
      next[r * n + c] = a + b + cc + d;
      next[r * n + c + v] = b + d;
      next[(r + v) * n + c] = cc + d;
      next[(r + v) * n + c + v] = d;
    }
  }
  for (let i = 0; i < n * n; i++) p[i] = next[i];
  for (let i = 0; i < n; i++) p[i * n + i] += noiseScratch[i];
}

/** Innovation covariance S = H P Hᵀ + R (4 × 4, row-major) into `out`. */
function innovationCovariance(state: KalmanState, out: Float64Array): void {
  const { mean, covariance: p } = state;
  const position = POSITION_WEIGHT * mean[3];
  const noise = [
    position * position,
    position * position,
    ASPECT_MEASUREMENT_STD ** 2,
    position * position,
  ];
  for (let r = 0; r < MEASUREMENT_SIZE; r++) {
    for (let c = 0; c < MEASUREMENT_SIZE; c++)
      out[r * MEASUREMENT_SIZE + c] = p[r * STATE_SIZE + c];
    out[r * MEASUREMENT_SIZE + r] += noise[r];
  }
}

/** Lower Cholesky factor of a symmetric positive-definite 4 × 4 matrix, in place into `out`. */
function cholesky4(s: Float64Array, out: Float64Array): void {
  const m = MEASUREMENT_SIZE;
  out.fill(0);
  for (let j = 0; j < m; j++) {
    let diagonal = s[j * m + j];
    for (let k = 0; k < j; k++) diagonal -= out[j * m + k] * out[j * m + k];
    if (!(diagonal > 0))
      throw new RangeError('Kalman innovation covariance is not positive definite');
    const root = Math.sqrt(diagonal);
    out[j * m + j] = root;
    for (let i = j + 1; i < m; i++) {
      let sum = s[i * m + j];
      for (let k = 0; k < j; k++) sum -= out[i * m + k] * out[j * m + k];
      out[i * m + j] = sum / root;
    }
  }
}

/** Solves L Lᵀ x = b for x in place (b is a 4-vector at `offset` of `values`). */
function choleskySolve(l: Float64Array, values: Float64Array, offset: number): void {
  const m = MEASUREMENT_SIZE;
  for (let i = 0; i < m; i++) {
    let sum = values[offset + i];
    for (let k = 0; k < i; k++) sum -= l[i * m + k] * values[offset + k];
    values[offset + i] = sum / l[i * m + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    let sum = values[offset + i];
    for (let k = i + 1; k < m; k++) sum -= l[k * m + i] * values[offset + k];
    values[offset + i] = sum / l[i * m + i];
  }
}

const innovationScratch = new Float64Array(MEASUREMENT_SIZE * MEASUREMENT_SIZE);
const factorScratch = new Float64Array(MEASUREMENT_SIZE * MEASUREMENT_SIZE);
/** Kalman gain K (8 × 4, row-major), then K S (8 × 4). */
const gainScratch = new Float64Array(STATE_SIZE * MEASUREMENT_SIZE);
const gainTimesS = new Float64Array(STATE_SIZE * MEASUREMENT_SIZE);

/**
 * Corrects the state with a measured box, in place: K = P Hᵀ S⁻¹ (through a Cholesky factor of S,
 * which is symmetric positive definite), x ← x + K (z − H x), P ← P − K S Kᵀ.
 */
export function updateState(state: KalmanState, xyah: ArrayLike<number>): void {
  const { mean, covariance: p } = state;
  const n = STATE_SIZE;
  const m = MEASUREMENT_SIZE;
  const s = innovationScratch;
  innovationCovariance(state, s);
  cholesky4(s, factorScratch);

  // Row k of K solves S k = (row k of P Hᵀ), since S is symmetric.
  const gain = gainScratch;
  for (let k = 0; k < n; k++) {
    for (let c = 0; c < m; c++) gain[k * m + c] = p[k * n + c];
    choleskySolve(factorScratch, gain, k * m);
  }

  const innovation = [xyah[0] - mean[0], xyah[1] - mean[1], xyah[2] - mean[2], xyah[3] - mean[3]];
  for (let k = 0; k < n; k++) {
    let correction = 0;
    for (let c = 0; c < m; c++) correction += gain[k * m + c] * innovation[c];
    mean[k] += correction;
  }

  for (let k = 0; k < n; k++) {
    for (let c = 0; c < m; c++) {
      let sum = 0;
      for (let j = 0; j < m; j++) sum += gain[k * m + j] * s[j * m + c];
      gainTimesS[k * m + c] = sum;
    }
  }
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      let sum = 0;
      for (let j = 0; j < m; j++) sum += gainTimesS[r * m + j] * gain[c * m + j];
      p[r * n + c] -= sum;
    }
  }
}
