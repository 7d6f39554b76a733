/** Scales `vector` in place to unit length; a zero vector stays zero. Returns it. */
export function l2NormaliseInPlace(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  if (sum > 0) {
    const scale = 1 / Math.sqrt(sum);
    for (let i = 0; i < vector.length; i++) vector[i] *= scale;
  }
  return vector;
}

/** Cosine similarity; 0 when either vector is zero. Lengths must match. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(`embedding lengths differ: ${a.length} vs ${b.length}`);
  }
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? dot / Math.sqrt(aa * bb) : 0;
}

/**
 * Exponential moving average of unit vectors, renormalised: `momentum` of the old direction is
 * kept. Renormalising keeps the running appearance comparable by cosine however many updates it
 * had. Writes into `running`.
 */
export function blendEmbedding(
  running: Float32Array,
  observation: ArrayLike<number>,
  momentum: number,
): Float32Array {
  if (running.length !== observation.length) {
    throw new RangeError(`embedding lengths differ: ${running.length} vs ${observation.length}`);
  }
  const fresh = unitCopy(observation);
  for (let i = 0; i < running.length; i++) {
    running[i] = momentum * running[i] + (1 - momentum) * fresh[i];
  }
  return l2NormaliseInPlace(running);
}

/** A unit-length Float32Array copy; throws on non-finite values, which would poison every match. */
export function unitCopy(embedding: ArrayLike<number>): Float32Array {
  const copy = Float32Array.from(embedding);
  for (let i = 0; i < copy.length; i++) {
    if (!Number.isFinite(copy[i])) throw new RangeError(`embedding value ${i} is not finite`);
  }
  return l2NormaliseInPlace(copy);
}
