import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { INFERENCE_BACKEND, type InferenceBackend } from '../request-path/inference-backend';
import type { ResolvedTarget } from '../request-path/resolved-target';
import { ServedVersion } from './served-version';

/** How often versions the backend no longer serves are looked for and dropped. */
const SWEEP_EVERY_MS = 10_000;

/**
 * The ServedVersion of every model version calls have reached. A version whose metadata the
 * backend replaced (its configuration changed) gets a new ServedVersion at the next call; one the
 * backend stops serving is dropped within SWEEP_EVERY_MS, its parts closed (a batcher drains what
 * it holds).
 */
@Injectable()
export class ServedVersions implements OnApplicationShutdown {
  private readonly logger = new Logger('ServedVersions');
  private readonly versions = new Map<string, ServedVersion>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(@Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /** The ServedVersion of a target the route stage resolved. */
  of(target: ResolvedTarget): ServedVersion {
    const id = key(target.model, target.version);
    const existing = this.versions.get(id);
    if (existing?.target.metadata === target.metadata) return existing;
    // A call that resolved the version just before the backend reloaded it uses the newer state.
    if (existing && this.isCurrent(existing.target)) return existing;
    if (existing) {
      this.logger.log(`${existing.label}: configuration changed; its state is rebuilt`);
      existing.close();
    }
    const served = new ServedVersion(target);
    this.versions.set(id, served);
    return served;
  }

  /** The ServedVersion of a version if a call has reached it (tests, diagnostics). */
  find(model: string, version: string): ServedVersion | undefined {
    return this.versions.get(key(model, version));
  }

  /** Every version calls have reached and the backend has not dropped (metrics, statistics). */
  all(): IterableIterator<ServedVersion> {
    return this.versions.values();
  }

  private isCurrent(target: ResolvedTarget): boolean {
    try {
      return this.backend.resolve(target.model, target.version).metadata === target.metadata;
    } catch {
      return false;
    }
  }

  /** Drops the versions the backend no longer serves. */
  sweep(): void {
    const served = new Set(
      this.backend
        .listModels()
        .flatMap((metadata) => metadata.versions.map((version) => key(metadata.name, version))),
    );
    for (const [id, version] of this.versions) {
      if (served.has(id)) continue;
      this.logger.log(`${version.label} is no longer served; its state is dropped`);
      version.close();
      this.versions.delete(id);
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    for (const version of this.versions.values()) version.close();
    this.versions.clear();
  }
}

function key(model: string, version: string): string {
  return `${model}\u0000${version}`;
}
