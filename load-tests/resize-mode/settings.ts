import { resolve } from 'node:path';
import { numberFrom, SAMPLE_MEDIA } from '@test-support';

export const REPO_ROOT = resolve(__dirname, '../..');
export const MODEL = 'nanodet';
export const MODEL_REPOSITORY = resolve(REPO_ROOT, 'triton-models');
export const VIDEO_FILE = resolve(SAMPLE_MEDIA, 'vtest.avi');
export const RESULTS_DIR = resolve(REPO_ROOT, 'load-tests/results');

/** The OpenCV sample stills: a wide photo, two 4:3 greyscale frames and three scenes. */
export const STILL_FILES = [
  'messi5.jpg',
  'basketball1.png',
  'basketball2.png',
  'fruits.jpg',
  'home.jpg',
  'building.jpg',
];

export const MODES = ['stretch', 'letterbox'] as const;
export type Mode = (typeof MODES)[number];

export const PERSON = 'person';

/**
 * Classes that can plausibly be in vtest.avi (a campus road and lawn seen from above: pedestrians,
 * some carrying bags, a parked van and car, cones, signs, a tripod). A detection of any other class
 * at the operating threshold is counted as a false positive in the proxy metrics: the clip shows
 * no animals, furniture, food or sports gear. The list is a judgement made by looking at the clip
 * before the run, stated in the report.
 */
export const PLAUSIBLE_VTEST_CLASSES = ['person', 'bicycle', 'car', 'truck', 'handbag', 'backpack'];

/** A padded version of each frame with a different aspect ratio (width : height). */
export interface AspectVariant {
  name: string;
  width: number;
  height: number;
}

export interface StudySettings {
  /** Every n-th frame of vtest.avi is used (10 fps clip: 4 gives 0.4 s between frames). */
  frameStep: number;
  maxFrames: number;
  /** The gateway's default operating point. */
  scoreThreshold: number;
  iouThreshold: number;
  maxDetections: number;
  /** A low threshold to see the score distribution and the near-misses. */
  lowScoreThreshold: number;
  lowMaxDetections: number;
  /** Second reporting threshold for person counts (a confident detection). */
  highScoreThreshold: number;
  /** IoU for "the same object" in cross-mode, aspect and consensus matching. */
  matchIou: number;
  /**
   * "The same person in the previous sampled frame": box centres at most this × the box height
   * apart (people walk about a box width in 0.4 s, too far for an IoU test), similar heights.
   */
  persistenceMaxShift: number;
  /** Grey level of the padding added to make the aspect variants (the model input pads black). */
  padGrey: number;
  variants: AspectVariant[];
  seed: number;
  bootstrapResamples: number;
  /** Moving-block bootstrap block length in sampled frames (consecutive frames are correlated). */
  bootstrapBlock: number;
  ortIntraOpThreads: number;
  watchdogSeconds: number;
}

function parseVariant(text: string): AspectVariant {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new Error(`RESIZE_VARIANTS must list aspect ratios like 2:1, got '${text}'`);
  }
  return { name: `${match[1]}:${match[2]}`, width: Number(match[1]), height: Number(match[2]) };
}

export function loadSettings(env: NodeJS.ProcessEnv): StudySettings {
  return {
    frameStep: Math.max(1, Math.round(numberFrom(env, 'RESIZE_FRAME_STEP', 4))),
    maxFrames: Math.max(2, Math.round(numberFrom(env, 'RESIZE_MAX_FRAMES', 200))),
    scoreThreshold: 0.35,
    iouThreshold: 0.6,
    maxDetections: 100,
    lowScoreThreshold: 0.1,
    lowMaxDetections: 1000,
    highScoreThreshold: 0.5,
    matchIou: 0.5,
    persistenceMaxShift: 0.5,
    padGrey: 128,
    variants: (env.RESIZE_VARIANTS ?? '16:9,2:1,1:2').split(',').map(parseVariant),
    seed: Math.round(numberFrom(env, 'RESIZE_SEED', 20240611)),
    bootstrapResamples: 2000,
    bootstrapBlock: 10,
    ortIntraOpThreads: Math.round(numberFrom(env, 'ORT_INTRA_OP_THREADS', 1)),
    watchdogSeconds: numberFrom(env, 'RESIZE_WATCHDOG_S', 600),
  };
}
