/** How long a person takes from leaving one camera's view to appearing in another's. */
export interface TransitWindow {
  minTransitMs: number;
  maxTransitMs: number;
}

/**
 * Two cameras that can see the same person. Overlapping views have minTransitMs 0: the person
 * may be in both at once. Links are symmetric unless `directed` (then only from → to: a one-way
 * corridor, an exit-only door).
 */
export interface CameraLink extends TransitWindow {
  from: string;
  to: string;
  directed?: boolean;
}

export interface CameraTopologyOptions {
  links: readonly CameraLink[];
  /**
   * A person lost by a camera's tracker and found again by the same camera: allowed within this
   * window (default 0 to 10 s: occlusion behind a pole or another person).
   */
  sameCamera?: TransitWindow;
}

const DEFAULT_SAME_CAMERA: TransitWindow = { minTransitMs: 0, maxTransitMs: 10_000 };

/** Which camera pairs can see the same person, and after how long: the spatio-temporal gate. */
export class CameraTopology {
  private readonly windows = new Map<string, TransitWindow>();
  private readonly sameCamera: TransitWindow;

  constructor(options: CameraTopologyOptions) {
    this.sameCamera = checkWindow(options.sameCamera ?? DEFAULT_SAME_CAMERA, 'sameCamera');
    for (const link of options.links) {
      const window = checkWindow(link, `link ${link.from} -> ${link.to}`);
      if (link.from === link.to) {
        throw new RangeError(`link ${link.from} -> ${link.to}: use sameCamera for one camera`);
      }
      this.windows.set(key(link.from, link.to), window);
      if (!link.directed) this.windows.set(key(link.to, link.from), window);
    }
  }

  /** The transit window from one camera to another, undefined when they are not linked. */
  window(fromCameraId: string, toCameraId: string): TransitWindow | undefined {
    return fromCameraId === toCameraId
      ? this.sameCamera
      : this.windows.get(key(fromCameraId, toCameraId));
  }

  /**
   * Whether someone last seen by `fromCameraId` at `lastSeenMs` can be who `toCameraId` sees at
   * `seenMs`. A negative gap (the other camera's frame is newer, clocks or delivery differ) counts
   * as 0: only windows starting at 0 (overlapping views) accept it.
   */
  allows(fromCameraId: string, lastSeenMs: number, toCameraId: string, seenMs: number): boolean {
    const window = this.window(fromCameraId, toCameraId);
    if (!window) return false;
    const gap = Math.max(0, seenMs - lastSeenMs);
    return gap >= window.minTransitMs && gap <= window.maxTransitMs;
  }
}

function key(from: string, to: string): string {
  return JSON.stringify([from, to]);
}

function checkWindow(window: TransitWindow, what: string): TransitWindow {
  const { minTransitMs, maxTransitMs } = window;
  if (!(minTransitMs >= 0) || !(maxTransitMs >= minTransitMs) || !Number.isFinite(maxTransitMs)) {
    throw new RangeError(
      `${what}: need 0 <= minTransitMs <= maxTransitMs < Infinity, got ${minTransitMs}..${maxTransitMs}`,
    );
  }
  return { minTransitMs, maxTransitMs };
}
