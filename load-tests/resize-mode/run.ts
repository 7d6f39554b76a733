/**
 * Resize-mode study: `npm run bench:resize-mode`. Runs the gateway's real DetectPipeline on ~200
 * vtest.avi frames (and padded wide/tall versions of them) and on the sample stills, once with
 * `resize: 'stretch'` and once with `resize: 'letterbox'`, and compares the two with label-free
 * proxy measures. Writes load-tests/results/resize-mode.{json,md} and resize-mode.png.
 * See load-tests/resize-mode/README.md.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { loadGatewayConfig } from '../../gateway/src/config/gateway-config';
import { machineInfo } from '../lib/machine-info';
import { analyse } from './analysis';
import { collect } from './collect';
import { createDetector, type Detector } from './detector';
import { renderFigure } from './figure';
import { extractFrames, loadStills } from './media';
import { recommend, writeReport, type Report } from './report';
import {
  loadSettings,
  MODEL,
  MODEL_REPOSITORY,
  PLAUSIBLE_VTEST_CLASSES,
  RESULTS_DIR,
  STILL_FILES,
} from './settings';

const log = (message: string): void => {
  process.stderr.write(`[resize-mode] ${message}\n`);
};

function versionOf(pkg: string): string {
  const manifest = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as {
    version?: string;
  };
  return manifest.version ?? 'unknown';
}

function ffmpegVersion(): string {
  const line = execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }).split('\n')[0];
  return /ffmpeg version (\S+)/.exec(line)?.[1] ?? line;
}

async function main(): Promise<number> {
  const settings = loadSettings(process.env);
  const machine = machineInfo();
  const config = loadGatewayConfig({
    MODEL_REPOSITORY,
    ORT_INTRA_OP_THREADS: String(settings.ortIntraOpThreads),
    LOG_LEVEL: 'error',
  });
  const watchdog = setTimeout(() => {
    log(`watchdog: still running after ${settings.watchdogSeconds} s, giving up`);
    process.exit(2);
  }, settings.watchdogSeconds * 1000);
  watchdog.unref();

  const started = performance.now();
  log(
    `extracting every ${settings.frameStep}th frame of vtest.avi (at most ${settings.maxFrames})`,
  );
  const frames = extractFrames(settings.frameStep, settings.maxFrames);
  const stills = loadStills();
  let detector: Detector | undefined;
  try {
    detector = await createDetector(config, settings.iouThreshold);
    const input = { width: detector.inputWidth, height: detector.inputHeight };
    log(
      `${frames.length} frames, ${stills.length} stills, variants ${settings.variants.map((v) => v.name).join(', ')}; ` +
        `${MODEL} ${input.width}×${input.height}, configured resize '${detector.configuredMode}'`,
    );
    const collected = await collect(detector, settings, frames, stills, log);
    const analysis = analyse(collected, settings, input);

    const figureVariant =
      [...settings.variants].sort((a, b) => b.width / b.height - a.width / a.height)[0] ??
      undefined;
    let figure: string | undefined;
    let figureFrame: number | undefined;
    if (figureVariant && figureVariant.width > figureVariant.height) {
      // A fixed, not a hand-picked frame: the middle one of the sample.
      const frame = frames[Math.floor(frames.length / 2)];
      mkdirSync(RESULTS_DIR, { recursive: true });
      figure = resolve(RESULTS_DIR, 'resize-mode.png');
      writeFileSync(
        figure,
        await renderFigure(detector, frame, collected.frameSize, figureVariant, settings),
      );
      figureFrame = frame.index;
    }

    const report: Report = {
      benchmark: 'resize-mode',
      machine,
      loadAverageAtEnd: loadavg().map((value) => Math.round(value * 100) / 100),
      versions: {
        onnxruntimeNode: versionOf('onnxruntime-node'),
        sharp: sharp.versions.sharp,
        libvips: sharp.versions.vips,
        ffmpeg: ffmpegVersion(),
      },
      settings: {
        ...settings,
        model: MODEL,
        input,
        configuredResizeMode: detector.configuredMode,
        video: 'vtest.avi',
        frameSize: collected.frameSize,
        variantSizes: collected.variantSizes,
        plausibleVtestClasses: PLAUSIBLE_VTEST_CLASSES,
        stills: STILL_FILES,
      },
      durationSeconds: Math.round((performance.now() - started) / 100) / 10,
      detectCalls: collected.detectCalls,
      checks: {
        thresholdIdentityMismatches: collected.thresholdIdentityMismatches,
        thresholdTies: collected.thresholdTies,
      },
      analysis,
      recommendation: recommend(analysis, settings),
      figure: figure
        ? { file: 'resize-mode.png', frame: figureFrame ?? -1, variant: figureVariant?.name ?? '' }
        : undefined,
    };
    const written = writeReport(report);
    log(`wrote ${written.json} and ${written.markdown} in ${report.durationSeconds} s`);
    if (collected.thresholdIdentityMismatches.length > 0) {
      log(
        `threshold identity check failed for ${collected.thresholdIdentityMismatches.join('; ')}`,
      );
      return 1;
    }
    return 0;
  } finally {
    await detector?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
