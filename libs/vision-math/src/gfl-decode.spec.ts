import fc from 'fast-check';
import {
  GflDecoder,
  NANODET_M_416,
  decodeGfl,
  expectedBinDistance,
  type GflHeadSpec,
  type GflLevelOutput,
} from './gfl-decode';

/** Logits whose softmax is exactly one-hot in float64 (exp(−1e4) underflows to 0). */
const PEAK_OFF = -1e4;

/** Zero-filled outputs for `batch` images: all scores 0, all logits 0 (uniform distributions). */
function emptyOutputs(spec: GflHeadSpec, batch = 1): GflLevelOutput[] {
  const bins = spec.regMax + 1;
  return spec.strides.map((s) => {
    const cells = Math.ceil(spec.inputWidth / s) * Math.ceil(spec.inputHeight / s);
    return {
      scores: new Float32Array(batch * cells * spec.numClasses),
      regression: new Float32Array(batch * cells * 4 * bins),
    };
  });
}

interface HotCell {
  level: number;
  x: number;
  y: number;
  batch?: number;
  scores: Record<number, number>;
  /** Peaked side distances in bins (left, top, right, bottom); omitted: uniform logits. */
  bins?: [number, number, number, number];
}

function setCell(spec: GflHeadSpec, outputs: GflLevelOutput[], hot: HotCell): void {
  const stride = spec.strides[hot.level];
  const fw = Math.ceil(spec.inputWidth / stride);
  const cells = fw * Math.ceil(spec.inputHeight / stride);
  const cell = hot.y * fw + hot.x;
  const b = hot.batch ?? 0;
  const nBins = spec.regMax + 1;
  const { scores, regression } = outputs[hot.level];
  for (const [c, s] of Object.entries(hot.scores)) {
    scores[(b * cells + cell) * spec.numClasses + Number(c)] = s;
  }
  if (hot.bins !== undefined) {
    const base = (b * cells + cell) * 4 * nBins;
    hot.bins.forEach((peak, side) => {
      for (let k = 0; k < nBins; k++)
        regression[base + side * nBins + k] = k === peak ? 0 : PEAK_OFF;
    });
  }
}

describe('expectedBinDistance', () => {
  it('returns the bin index exactly for a peaked distribution', () => {
    for (let k = 0; k <= 10; k++) {
      const logits = new Float32Array(11).fill(PEAK_OFF);
      logits[k] = 0;
      expect(expectedBinDistance(logits, 0, 11)).toBe(k);
    }
  });

  it('returns the middle bin (5 for reg_max 10) for uniform logits, whatever their value', () => {
    expect(expectedBinDistance(new Float32Array(11), 0, 11)).toBe(5);
    expect(expectedBinDistance(new Float32Array(11).fill(3.7), 0, 11)).toBe(5);
  });

  it('is numerically stable for huge logits and reads at an offset', () => {
    const logits = new Float32Array(15).fill(1000);
    logits.fill(0, 0, 4);
    logits[4 + 3] = 1e30;
    expect(expectedBinDistance(logits, 4, 11)).toBe(3);
    expect(expectedBinDistance(new Float32Array(11).fill(80), 0, 11)).toBe(5);
  });

  it('weights the bins by their softmax probability', () => {
    const logits = new Float32Array([Math.log(1), Math.log(3)]);
    expect(expectedBinDistance(logits, 0, 2)).toBeCloseTo(0.75, 6);
  });
});

describe('GflDecoder on NanoDet-m 416', () => {
  const spec = NANODET_M_416;
  const decoder = new GflDecoder(spec);

  it('derives the cell counts 2704/676/169 from the spec', () => {
    expect(decoder.batchSize(emptyOutputs(spec, 3))).toBe(3);
    expect(emptyOutputs(spec).map((l) => l.scores.length / 80)).toEqual([2704, 676, 169]);
  });

  it('places a hot cell (x=3, y=7) on stride 16 where expected', () => {
    const outputs = emptyOutputs(spec);
    setCell(spec, outputs, { level: 1, x: 3, y: 7, scores: { 0: 0.9 }, bins: [2, 1, 3, 4] });
    // Centre (48, 112); distances (32, 16, 48, 64) px.
    expect(decoder.decode(outputs, 0, { scoreThreshold: 0.5 })).toEqual([
      { classId: 0, score: Math.fround(0.9), x1: 16, y1: 96, x2: 96, y2: 176 },
    ]);
    // Half-cell centres shift the box by half a stride.
    expect(decoder.decode(outputs, 0, { scoreThreshold: 0.5, centerOffset: 0.5 })).toEqual([
      { classId: 0, score: Math.fround(0.9), x1: 24, y1: 104, x2: 104, y2: 184 },
    ]);
  });

  it('uniform logits give 5 · stride on every side', () => {
    const outputs = emptyOutputs(spec);
    setCell(spec, outputs, { level: 2, x: 6, y: 5, scores: { 17: 0.8 } });
    const [d] = decoder.decode(outputs, 0, { scoreThreshold: 0.5 });
    expect(d).toEqual({
      classId: 17,
      score: Math.fround(0.8),
      x1: 192 - 160,
      y1: 160 - 160,
      x2: 192 + 160,
      y2: 160 + 160,
    });
  });

  it('clips boxes to the model input', () => {
    const outputs = emptyOutputs(spec);
    setCell(spec, outputs, { level: 0, x: 51, y: 0, scores: { 3: 0.7 }, bins: [1, 10, 10, 1] });
    const [d] = decoder.decode(outputs, 0, { scoreThreshold: 0.5 });
    expect(d).toMatchObject({ x1: 400, y1: 0, x2: 416, y2: 8 });
  });

  it('reads only the requested image of a batch', () => {
    const outputs = emptyOutputs(spec, 2);
    setCell(spec, outputs, {
      level: 0,
      x: 10,
      y: 20,
      batch: 1,
      scores: { 2: 0.6 },
      bins: [1, 1, 1, 1],
    });
    expect(decoder.decode(outputs, 0, { scoreThreshold: 0.3 })).toEqual([]);
    expect(decoder.decode(outputs, 1, { scoreThreshold: 0.3 })).toEqual([
      { classId: 2, score: Math.fround(0.6), x1: 72, y1: 152, x2: 88, y2: 168 },
    ]);
  });

  it('keeps scores ≥ threshold and drops those below', () => {
    const outputs = emptyOutputs(spec);
    setCell(spec, outputs, { level: 0, x: 0, y: 0, scores: { 1: 0.5 } });
    setCell(spec, outputs, { level: 0, x: 1, y: 0, scores: { 1: 0.49 } });
    const dets = decoder.decode(outputs, 0, { scoreThreshold: Math.fround(0.5) });
    expect(dets.map((d) => d.score)).toEqual([Math.fround(0.5)]);
  });

  it('filters classes: others neither gate the cell nor become candidates', () => {
    const outputs = emptyOutputs(spec);
    setCell(spec, outputs, { level: 0, x: 4, y: 4, scores: { 5: 0.9, 7: 0.6 } });
    setCell(spec, outputs, { level: 0, x: 9, y: 9, scores: { 5: 0.95, 7: 0.1 } });
    const dets = decoder.decode(outputs, 0, { scoreThreshold: 0.5, classes: new Set([7]) });
    expect(dets.map((d) => [d.classId, d.score])).toEqual([[7, Math.fround(0.6)]]);
    expect(decoder.decode(outputs, 0, { scoreThreshold: 0.5, classes: new Set() })).toEqual([]);
    expect(() =>
      decoder.decode(outputs, 0, { scoreThreshold: 0.5, classes: new Set([80]) }),
    ).toThrow(/class id 80/);
  });

  it('multiLabel (default) emits every class above threshold with the shared box; false only the best', () => {
    const outputs = emptyOutputs(spec);
    setCell(spec, outputs, { level: 1, x: 2, y: 2, scores: { 5: 0.9, 7: 0.6, 9: 0.2 } });
    const all = decoder.decode(outputs, 0, { scoreThreshold: 0.5 });
    expect(all.map((d) => d.classId)).toEqual([5, 7]);
    expect(all[0]).toMatchObject({ x1: all[1].x1, y1: all[1].y1, x2: all[1].x2, y2: all[1].y2 });
    const best = decoder.decode(outputs, 0, { scoreThreshold: 0.5, multiLabel: false });
    expect(best.map((d) => d.classId)).toEqual([5]);
  });

  it('gates on every class, also those past the last group of four the gate tests at once', () => {
    // 7 classes: the gate tests classes 0-3 together, then 4, 5 and 6 one by one.
    const odd: GflHeadSpec = { ...spec, numClasses: 7 };
    const oddDecoder = new GflDecoder(odd);
    for (const classId of [0, 3, 4, 6]) {
      const outputs = emptyOutputs(odd);
      setCell(odd, outputs, { level: 2, x: 0, y: 1, scores: { [classId]: 0.6 } });
      const found = oddDecoder.decode(outputs, 0, { scoreThreshold: 0.5 });
      expect(found.map((d) => [d.classId, d.score])).toEqual([[classId, expect.closeTo(0.6)]]);
    }
    // A score just under the threshold in the last class lets nothing through.
    const outputs = emptyOutputs(odd);
    setCell(odd, outputs, { level: 2, x: 0, y: 1, scores: { 6: 0.49 } });
    expect(oddDecoder.decode(outputs, 0, { scoreThreshold: 0.5 })).toEqual([]);
  });

  it('runs the softmax only for cells that pass the score gate', () => {
    const outputs = emptyOutputs(spec);
    setCell(spec, outputs, { level: 0, x: 1, y: 1, scores: { 0: 0.9, 1: 0.8 } });
    setCell(spec, outputs, { level: 2, x: 1, y: 1, scores: { 0: 0.7 } });
    const exp = jest.spyOn(Math, 'exp');
    try {
      decoder.decode(outputs, 0, { scoreThreshold: 0.5 });
      expect(exp).toHaveBeenCalledTimes(2 * 4 * 11);
    } finally {
      exp.mockRestore();
    }
  });

  it('sorts by score and keeps the topK best candidates', () => {
    const outputs = emptyOutputs(spec);
    const scores = [0.55, 0.9, 0.7, 0.65, 0.8];
    scores.forEach((s, x) => setCell(spec, outputs, { level: 0, x, y: 3, scores: { 0: s } }));
    const top = decoder.decode(outputs, 0, { scoreThreshold: 0.5, topK: 3 });
    expect(top.map((d) => d.score)).toEqual([0.9, 0.8, 0.7].map(Math.fround));
  });

  it('grows its scratch buffers and stays correct when reused', () => {
    const outputs = emptyOutputs(spec);
    outputs[0].scores.fill(0.6, 0, 100 * 80); // 100 cells × 80 classes pass
    const many = decoder.decode(outputs, 0, { scoreThreshold: 0.5, topK: Infinity });
    expect(many).toHaveLength(100 * 80);
    // Last candidate: cell 99 = (x 47, y 1), uniform logits → 40 px per side.
    expect(many[8000 - 1]).toMatchObject({ classId: 79, x1: 47 * 8 - 40, y1: 0, y2: 8 + 40 });
    expect(decoder.decode(outputs, 0, { scoreThreshold: 0.5 })).toHaveLength(1000);

    const single = emptyOutputs(spec);
    setCell(spec, single, { level: 1, x: 3, y: 7, scores: { 0: 0.9 }, bins: [2, 1, 3, 4] });
    expect(decoder.decode(single, 0, { scoreThreshold: 0.5 })).toEqual(
      decodeGfl(spec, single, 0, { scoreThreshold: 0.5 }),
    );
  });

  it('never decodes boxes for cells whose scores are NaN', () => {
    const outputs = emptyOutputs(spec);
    outputs[2].scores.fill(NaN);
    expect(
      decoder.decode(outputs, 0, { scoreThreshold: -Infinity, multiLabel: false, topK: Infinity }),
    ).toHaveLength(2704 + 676);
  });
});

describe('GflDecoder with other head shapes', () => {
  it('takes strides, classes, bins and a non-square input from the spec', () => {
    // 40×24 input, stride 8 → 5×3 cells; ceil for 20×20 at stride 8 → 3×3.
    const spec: GflHeadSpec = {
      inputWidth: 40,
      inputHeight: 24,
      strides: [8, 20],
      numClasses: 3,
      regMax: 4,
    };
    const outputs = emptyOutputs(spec);
    expect(outputs.map((l) => l.scores.length)).toEqual([15 * 3, 4 * 3]);
    setCell(spec, outputs, { level: 0, x: 4, y: 2, scores: { 2: 0.9 }, bins: [4, 0, 0, 1] });
    setCell(spec, outputs, { level: 1, x: 1, y: 0, scores: { 1: 0.8 } }); // uniform: 2 bins
    expect(decodeGfl(spec, outputs, 0, { scoreThreshold: 0.5 })).toEqual([
      { classId: 2, score: Math.fround(0.9), x1: 0, y1: 16, x2: 32, y2: 24 },
      { classId: 1, score: Math.fround(0.8), x1: 0, y1: 0, x2: 40, y2: 24 },
    ]);
    expect(
      decodeGfl(spec, outputs, 0, { scoreThreshold: 0.5, centerOffset: 0.5 })[0],
    ).toMatchObject({ x1: 4, y1: 20, x2: 36, y2: 24 });
  });

  it('topK returns exactly the first topK of the full ranking, ties included', () => {
    const spec: GflHeadSpec = {
      inputWidth: 32,
      inputHeight: 32,
      strides: [8, 16],
      numClasses: 4,
      regMax: 3,
    };
    const decoder = new GflDecoder(spec);
    const length = (16 + 4) * 4;
    // Either a few distinct values (the topK-th score is then usually tied) or continuous ones.
    const scoresArb = fc.oneof(
      fc.array(fc.constantFrom(0, 0.5, 0.7, 1), { minLength: length, maxLength: length }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
        minLength: length,
        maxLength: length,
      }),
    );
    fc.assert(
      fc.property(scoresArb, (values) => {
        const outputs = emptyOutputs(spec);
        outputs[0].scores.set(values.slice(0, 16 * 4));
        outputs[1].scores.set(values.slice(16 * 4));
        const all = decoder.decode(outputs, 0, { scoreThreshold: 0.1, topK: Infinity });
        for (let topK = 1; topK <= all.length; topK++) {
          expect(decoder.decode(outputs, 0, { scoreThreshold: 0.1, topK })).toEqual(
            all.slice(0, topK),
          );
        }
      }),
      { seed: 3, numRuns: 40 },
    );
  });

  it('rejects bad specs, mismatched shapes and out-of-range batch indices', () => {
    expect(() => new GflDecoder({ ...NANODET_M_416, strides: [] })).toThrow(/strides/);
    expect(() => new GflDecoder({ ...NANODET_M_416, regMax: 0 })).toThrow(/regMax/);
    const decoder = new GflDecoder(NANODET_M_416);
    const outputs = emptyOutputs(NANODET_M_416, 2);
    expect(() => decoder.decode(outputs.slice(0, 2), 0, { scoreThreshold: 0.5 })).toThrow(
      /expected 3 level outputs/,
    );
    expect(() => decoder.decode(outputs, 2, { scoreThreshold: 0.5 })).toThrow(/batchIndex/);
    const short = [...outputs];
    short[1] = { ...short[1], scores: short[1].scores.subarray(1) };
    expect(() => decoder.decode(short, 0, { scoreThreshold: 0.5 })).toThrow(/stride 16: scores/);
    const mixed = [...outputs];
    mixed[2] = emptyOutputs(NANODET_M_416, 1)[2];
    expect(() => decoder.decode(mixed, 0, { scoreThreshold: 0.5 })).toThrow(/batch size/);
    expect(() => decoder.decode(outputs, 0, { scoreThreshold: NaN })).toThrow(/scoreThreshold/);
    expect(() => decoder.decode(outputs, 0, { scoreThreshold: 0.5, topK: 0 })).toThrow(/topK/);
  });
});
