/** Where artifacts live, addressed by their sha256; a local folder now, an S3-compatible bucket later. */
export interface ArtifactStore {
  /** A URI naming the stored artifact, for people and for the API (`file://…`, later `s3://…`). */
  uriOf(sha256: string): string;
  /**
   * Takes ownership of `stagedFile` (moved, not copied, where the store allows) whose content has
   * the given sha256. Storing bytes that are already stored keeps the first copy.
   */
  put(stagedFile: string, sha256: string): Promise<void>;
  has(sha256: string): Promise<boolean>;
  /** Writes the artifact's bytes to `destination` (a path the caller owns). */
  copyTo(sha256: string, destination: string): Promise<void>;
}

export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');

const SHA256 = /^[0-9a-f]{64}$/;

/** Store keys are sha256 hex digests only: nothing a caller sends becomes a path. */
export function assertSha256(value: string): void {
  if (!SHA256.test(value)) throw new Error(`not a sha256 hex digest: ${value.slice(0, 80)}`);
}
