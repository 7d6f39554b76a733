import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { asBackgroundWork } from '../database/background-work';
import type { RunningAnalysis } from '../deployments/canary-analysis-contract';
import { decide } from './analysis-decision';
import {
  ANALYSIS_CLOCK,
  ANALYSIS_DECISIONS,
  JUDGE_LOCK,
  type AnalysisDecisions,
} from './analysis-ports';
import { ANALYSIS_SOURCE, type AnalysisSource } from './analysis-source';
import { evaluateChecks } from './canary-checks';
import type { JudgeLock } from './judge-lock';

const TICK_MS = 1000;
/** The same failure of one analysis is logged again after this long, not every tick. */
const REPEAT_LOG_MS = 60_000;

/**
 * The loop that judges running canaries: once a second, each analysis whose interval has elapsed
 * since its last decision (or its start) is measured over that interval, judged and its decision
 * recorded (the deployments module applies it). Ticks never overlap; a failure (source down, a
 * write refused) is logged and the analysis is judged again at the next tick.
 */
@Injectable()
export class CanaryAnalysisRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CanaryAnalysis');
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly lastLogged = new Map<string, { message: string; atMs: number }>();

  constructor(
    @Inject(ANALYSIS_DECISIONS) private readonly decisions: AnalysisDecisions,
    @Inject(ANALYSIS_SOURCE) private readonly source: AnalysisSource,
    @Inject(JUDGE_LOCK) private readonly lock: JudgeLock,
    @Optional() @Inject(ANALYSIS_CLOCK) clock?: () => number,
  ) {
    this.clock = clock ?? Date.now;
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(TICK_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over the running analyses (what each timer tick runs); never rejects. */
  async tick(): Promise<void> {
    try {
      await asBackgroundWork('canary-analysis', () =>
        this.lock.whileHeld(async () => {
          const analyses = await this.decisions.runningAnalyses();
          for (const analysis of analyses) {
            if (this.stopped) return;
            if (this.due(analysis)) await this.judge(analysis);
          }
        }),
      );
    } catch (error) {
      this.warnOnce('tick', `canary analysis tick failed, retried in 1 s: ${describe(error)}`);
    }
  }

  private due(analysis: RunningAnalysis): boolean {
    const since = (analysis.lastDecisionAt ?? analysis.startedAt).getTime();
    return this.clock() - since >= analysis.spec.intervalSeconds * 1000;
  }

  private async judge(analysis: RunningAnalysis): Promise<void> {
    const { analysisId, model, spec, stableVersion, canaryVersion } = analysis;
    try {
      const seconds = spec.intervalSeconds;
      const [stable, canary, comparison] = await Promise.all([
        this.source.versionWindow(model, stableVersion, seconds),
        this.source.versionWindow(model, canaryVersion, seconds),
        spec.comparisonSamplePercent > 0
          ? this.source.comparisonWindow(model, stableVersion, canaryVersion, seconds)
          : Promise.resolve(undefined),
      ]);
      const decision = decide(analysis, evaluateChecks(spec, stable, canary, comparison));
      await this.decisions.recordAnalysisDecision(analysisId, decision);
      this.lastLogged.delete(analysisId);
      this.logger.log(
        `${model} ${canaryVersion} vs ${stableVersion} (analysis ${analysisId}): ${decision.action}, ${decision.reason}`,
      );
    } catch (error) {
      this.warnOnce(
        analysisId,
        `judging ${model} ${canaryVersion} (analysis ${analysisId}) failed, retried in 1 s: ${describe(error)}`,
      );
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = this.clock();
      this.running = this.tick().finally(() =>
        this.schedule(Math.max(0, TICK_MS - (this.clock() - started))),
      );
    }, delayMs);
    // The loop must not keep a stopping process alive.
    this.timer.unref();
  }

  private warnOnce(key: string, message: string): void {
    const now = this.clock();
    const last = this.lastLogged.get(key);
    if (last?.message === message && now - last.atMs < REPEAT_LOG_MS) return;
    // Bounded by the analyses running (ids) plus the tick key.
    if (this.lastLogged.size > 1000) this.lastLogged.clear();
    this.lastLogged.set(key, { message, atMs: now });
    this.logger.warn(message);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
