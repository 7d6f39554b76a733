/**
 * The committed appearance model and the colour-histogram baseline on real people: crops of the
 * same person from two frames of vtest.avi (seconds apart, often front vs back) against the other
 * people in the later frame (triton-models/appearance-mobilenetv2/conversion/vtest-people.json).
 * The model is ImageNet MobileNetV2, not trained for re-identification; where it ranks the wrong
 * person first, that is written down here as a known miss rather than hidden.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import sharp from 'sharp';
import { readSampleMedia } from '@test-support';
import {
  APPEARANCE_MODEL,
  colourHistogramEmbedding,
  cosineSimilarity,
  cropInputLength,
  cropPlanarInput,
  type PixelBox,
} from '@vision-reid';

const MODEL_DIR = resolve(__dirname, '../../../triton-models/appearance-mobilenetv2');

interface Query {
  person: string;
  frame: string;
  box: PixelBox;
  gallery: string;
  match: number;
}
interface People {
  queries: Query[];
  galleries: Record<string, PixelBox[]>;
}

interface Frame {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/** Queries where the model ranks another person above the right one (see the model card). */
const KNOWN_MODEL_MISSES = ['blonde-black-coat'];

/** For one query: similarity to the same person and to each other person in the gallery frame. */
interface Scores {
  same: number;
  others: number[];
}

describe('appearance embeddings of real people (vtest.avi)', () => {
  const people = JSON.parse(
    readFileSync(resolve(MODEL_DIR, 'conversion/vtest-people.json'), 'utf8'),
  ) as People;
  const model: Record<string, Scores> = {};
  const histogram: Record<string, Scores> = {};
  let norms: number[] = [];

  beforeAll(async () => {
    const frames = new Map<string, Frame>();
    const names = new Set([
      ...people.queries.map((q) => q.frame),
      ...Object.keys(people.galleries),
    ]);
    for (const name of names) {
      const { data, info } = await sharp(readSampleMedia(`vtest-frames/${name}`))
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      frames.set(name, { pixels: data, width: info.width, height: info.height });
    }
    const crops: [string, PixelBox][] = [
      ...people.queries.map((q): [string, PixelBox] => [q.frame, q.box]),
      ...Object.entries(people.galleries).flatMap(([frame, boxes]) =>
        boxes.map((box): [string, PixelBox] => [frame, box]),
      ),
    ];

    // All crops in one batch tensor, each written in place.
    const length = cropInputLength();
    const batch = new Float32Array(crops.length * length);
    const histograms = crops.map(([name, box], i) => {
      const { pixels, width, height } = frames.get(name)!;
      cropPlanarInput(pixels, width, height, 3, box, batch, i * length);
      return colourHistogramEmbedding(pixels, width, height, 3, box);
    });
    const session = await InferenceSession.create(resolve(MODEL_DIR, '1/model.onnx'), {
      intraOpNumThreads: 1,
    });
    const shape = [crops.length, 3, APPEARANCE_MODEL.inputHeight, APPEARANCE_MODEL.inputWidth];
    const output = (await session.run({ images: new Tensor('float32', batch, shape) })).embedding;
    const data = output.data as Float32Array;
    const embeddings = crops.map((_, i) =>
      data.subarray(i * APPEARANCE_MODEL.dimension, (i + 1) * APPEARANCE_MODEL.dimension),
    );
    await session.release();
    norms = embeddings.map((e) => Math.hypot(...e));

    const galleryStart = new Map<string, number>();
    let next = people.queries.length;
    for (const [frame, boxes] of Object.entries(people.galleries)) {
      galleryStart.set(frame, next);
      next += boxes.length;
    }
    people.queries.forEach((query, q) => {
      for (const [scores, vectors] of [
        [model, embeddings],
        [histogram, histograms],
      ] as const) {
        const start = galleryStart.get(query.gallery)!;
        const sims = people.galleries[query.gallery].map((_, g) =>
          cosineSimilarity(vectors[q], vectors[start + g]),
        );
        scores[query.person] = {
          same: sims[query.match],
          others: sims.filter((_, g) => g !== query.match),
        };
      }
    });
  });

  const ranksFirst = (scores: Scores): boolean =>
    scores.others.every((other) => scores.same > other);
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

  it('model: unit-length embeddings, and the same person ranks first except the known misses', () => {
    for (const norm of norms) expect(norm).toBeCloseTo(1, 5);
    const first = people.queries.map((q) => q.person).filter((person) => ranksFirst(model[person]));
    expect(first).toEqual(
      people.queries.map((q) => q.person).filter((p) => !KNOWN_MODEL_MISSES.includes(p)),
    );
  });

  it('model: on average the same person is more similar than a different person', () => {
    const same = mean(Object.values(model).map((s) => s.same));
    const different = mean(Object.values(model).flatMap((s) => s.others));
    expect(same).toBeGreaterThan(different + 0.05);
  });

  it('colour-histogram baseline: the same person ranks first for every query', () => {
    for (const query of people.queries) {
      expect({ person: query.person, first: ranksFirst(histogram[query.person]) }).toEqual({
        person: query.person,
        first: true,
      });
    }
    const same = mean(Object.values(histogram).map((s) => s.same));
    const different = mean(Object.values(histogram).flatMap((s) => s.others));
    expect(same).toBeGreaterThan(different + 0.1);
  });
});
