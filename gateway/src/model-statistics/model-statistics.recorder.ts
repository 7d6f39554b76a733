import { Injectable } from '@nestjs/common';
import type { ErrorKind } from '../errors/gateway-error';
import type { CallDurations, VersionStatistics } from '../request-path/model-statistics';
import type { ResolvedTarget } from '../request-path/resolved-target';
import type { VersionPart } from '../serving/served-version';
import { ServedVersions } from '../serving/served-versions';
import {
  emptyVersionStatistics,
  VersionTally,
  type Execution,
  type FailureReason,
} from './version-tally';

/** A caller's call to a version, once it ended (after admission: guards' refusals are not counted). */
export type CallEnd =
  | { ok: true; ns: number; durations: CallDurations; images: number }
  | { ok: false; ns: number; kind: ErrorKind };

/** One version's tally, for the Prometheus collectors. */
export interface TalliedVersion {
  model: string;
  version: string;
  tally: VersionTally;
}

/**
 * The statistics extension's measurements, per served model version: fed by the call pipeline
 * (each call's end), the batch stage (queue) and the backend stage (each execution). A version's
 * tally lives on its ServedVersion, so only versions the backend serves have one and a version's
 * counts go when it is unloaded or reloaded with a changed configuration (as Triton's do).
 */
@Injectable()
export class ModelStatisticsRecorder {
  private readonly part: VersionPart<VersionTally> = {
    name: 'statistics',
    build: () => new VersionTally(),
  };

  constructor(private readonly versions: ServedVersions) {}

  callEnded(target: ResolvedTarget, end: CallEnd): void {
    const tally = this.versions.of(target).part(this.part);
    const now = Date.now();
    if (end.ok) tally.succeeded(end.ns, end.durations, end.images, now);
    else tally.failed(end.ns, failureReason(end.kind), now);
  }

  executed(target: ResolvedTarget, execution: Execution): void {
    this.versions.of(target).part(this.part).executed(execution);
  }

  /** A served version's statistics (zeros before its first call). */
  statisticsOf(model: string, version: string): VersionStatistics {
    const tally = this.versions.find(model, version)?.peek(this.part);
    return tally ? tally.snapshot(model, version) : emptyVersionStatistics(model, version);
  }

  /** Every version with a tally. */
  *tallied(): Generator<TalliedVersion> {
    for (const served of this.versions.all()) {
      const tally = served.peek(this.part);
      if (tally) yield { model: served.target.model, version: served.target.version, tally };
    }
  }
}

/** Triton's failure reason for a gateway error kind. */
export function failureReason(kind: ErrorKind): FailureReason {
  switch (kind) {
    case 'resource_exhausted':
    case 'deadline_exceeded':
      return 'REJECTED';
    case 'cancelled':
      return 'CANCELED';
    case 'unavailable':
    case 'internal':
      return 'BACKEND';
    default:
      return 'OTHER';
  }
}
