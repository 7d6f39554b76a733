import { type Box } from './types';

/**
 * How a source image is placed into the model's fixed input:
 * - `stretch`: plain resize to the input size; the axes scale independently (aspect ratio changes).
 * - `letterbox`: uniform scale that fits the image inside the input, centred, rest padded.
 */
export type ResizeMode = 'stretch' | 'letterbox';

/**
 * The exact placement of a source image in the model input. A model-input point (u, v) corresponds
 * to the source point ((u − padLeft) / scaleX, (v − padTop) / scaleY).
 */
export interface PreprocessPlan {
  readonly mode: ResizeMode;
  /** resizedWidth / srcWidth: the scale the resizer really applies horizontally. */
  readonly scaleX: number;
  /** resizedHeight / srcHeight: the scale the resizer really applies vertically. */
  readonly scaleY: number;
  /** Columns of padding left of the resized image (0 for `stretch`). */
  readonly padLeft: number;
  /** Rows of padding above the resized image (0 for `stretch`). */
  readonly padTop: number;
  /** Width the source is resized to before padding (integer, ≥ 1). */
  readonly resizedWidth: number;
  /** Height the source is resized to before padding (integer, ≥ 1). */
  readonly resizedHeight: number;
}

function assertDimension(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

/**
 * Plans the placement of a srcW×srcH image into a dstW×dstH model input.
 *
 * Rounding convention (letterbox): r = min(dstW/srcW, dstH/srcH); the resized size is
 * round(srcW·r) × round(srcH·r) (Math.round, half up), clamped to [1, dst] so that 1×N images and
 * extreme aspect ratios still keep one row/column; padding is centred with the odd pixel going right /
 * bottom: padLeft = floor((dstW − resizedWidth) / 2), padTop = floor((dstH − resizedHeight) / 2).
 *
 * The reported scales are resized/src per axis, not r: after rounding, that is the scale a resizer
 * with half-pixel-centre sampling (sharp, OpenCV INTER_LINEAR) applies to continuous coordinates, so
 * mapping back with them is exact. They differ from r by at most 0.5/src.
 */
export function planPreprocess(
  srcW: number,
  srcH: number,
  dstW: number,
  dstH: number,
  mode: ResizeMode,
): PreprocessPlan {
  assertDimension('srcW', srcW);
  assertDimension('srcH', srcH);
  assertDimension('dstW', dstW);
  assertDimension('dstH', dstH);

  if (mode === 'stretch') {
    return {
      mode,
      scaleX: dstW / srcW,
      scaleY: dstH / srcH,
      padLeft: 0,
      padTop: 0,
      resizedWidth: dstW,
      resizedHeight: dstH,
    };
  }
  if (mode !== 'letterbox') {
    throw new RangeError(`mode must be 'stretch' or 'letterbox', got ${String(mode)}`);
  }

  const r = Math.min(dstW / srcW, dstH / srcH);
  const resizedWidth = Math.min(dstW, Math.max(1, Math.round(srcW * r)));
  const resizedHeight = Math.min(dstH, Math.max(1, Math.round(srcH * r)));
  return {
    mode,
    scaleX: resizedWidth / srcW,
    scaleY: resizedHeight / srcH,
    padLeft: Math.floor((dstW - resizedWidth) / 2),
    padTop: Math.floor((dstH - resizedHeight) / 2),
    resizedWidth,
    resizedHeight,
  };
}

/**
 * Maps a source-image box into model-input coordinates (no clipping). Writes into `out` when given,
 * so callers on a hot path can reuse one object (`out` may be `box` itself).
 */
export function mapBoxToModel(
  box: Readonly<Box>,
  plan: PreprocessPlan,
  out: Box = { x1: 0, y1: 0, x2: 0, y2: 0 },
): Box {
  const { x1, y1, x2, y2 } = box;
  out.x1 = x1 * plan.scaleX + plan.padLeft;
  out.y1 = y1 * plan.scaleY + plan.padTop;
  out.x2 = x2 * plan.scaleX + plan.padLeft;
  out.y2 = y2 * plan.scaleY + plan.padTop;
  return out;
}

function clamp(value: number, max: number): number {
  return value < 0 ? 0 : value > max ? max : value;
}

/**
 * Maps a model-input box back to the srcW×srcH source image (the exact inverse of `plan`) and clips
 * it to [0, srcW] × [0, srcH]. A box lying wholly in the padding collapses to zero area on the edge.
 * Writes into `out` when given (`out` may be `box` itself, e.g. a Detection mapped in place).
 */
export function mapBoxToSource(
  box: Readonly<Box>,
  plan: PreprocessPlan,
  srcW: number,
  srcH: number,
  out: Box = { x1: 0, y1: 0, x2: 0, y2: 0 },
): Box {
  const { x1, y1, x2, y2 } = box;
  out.x1 = clamp((x1 - plan.padLeft) / plan.scaleX, srcW);
  out.y1 = clamp((y1 - plan.padTop) / plan.scaleY, srcH);
  out.x2 = clamp((x2 - plan.padLeft) / plan.scaleX, srcW);
  out.y2 = clamp((y2 - plan.padTop) / plan.scaleY, srcH);
  return out;
}
