import type { ResolvedTarget } from '../request-path/resolved-target';

/**
 * Something each served model version has one of (its admission queue, its batcher, its head
 * decoder), defined by the capability that uses it and built from the version the first time a
 * call needs it. `close` lets it finish what it holds when the version is dropped.
 */
export interface VersionPart<T> {
  readonly name: string;
  build(version: ServedVersion): T;
  close?(part: T): void;
}

/**
 * One loaded model version and the state that lives exactly as long as it: built when a call first
 * reaches it, dropped (each part closed) when the backend stops serving it or reloads it with a
 * changed configuration. Replaces the per-capability caches keyed by metadata identity or by
 * `model\0version` that each had their own idea of when a version changed.
 */
export class ServedVersion {
  private readonly parts = new Map<VersionPart<unknown>, unknown>();
  private closed = false;

  constructor(readonly target: ResolvedTarget) {}

  get label(): string {
    return `model '${this.target.model}' version ${this.target.version}`;
  }

  /** This version's `kind` of part, built on first use. */
  part<T>(kind: VersionPart<T>): T {
    if (this.parts.has(kind)) return this.parts.get(kind) as T;
    const part = kind.build(this);
    // A call that resolved this version just before it was dropped still gets a working part;
    // nothing keeps it, so it is collected with the call.
    if (!this.closed) this.parts.set(kind, part);
    return part;
  }

  /** The part if one was built (tests, metrics); never builds one. */
  peek<T>(kind: VersionPart<T>): T | undefined {
    return this.parts.get(kind) as T | undefined;
  }

  close(): void {
    this.closed = true;
    for (const [kind, part] of this.parts) kind.close?.(part);
    this.parts.clear();
  }
}
