import fc from 'fast-check';
import { runAtOnce } from '../../event-loop/sliced-work';
import { MAX_DATA_NESTING, scanInferJson, type ScannedInferJson } from './infer-json-scanner';

const scan = (text: string, maxHeaderBytes = 1 << 20): ScannedInferJson =>
  runAtOnce(scanInferJson(Buffer.from(text), maxHeaderBytes));

/** What each input's cut-out data says, as text, by input index. */
const dataTexts = (text: string, scanned: ScannedInferJson): Record<number, [string, number]> => {
  const bytes = Buffer.from(text);
  return Object.fromEntries(
    [...scanned.data].map(([index, span]) => [
      index,
      [bytes.toString('utf8', span.start, span.end), span.elements],
    ]),
  );
};

describe('scanInferJson', () => {
  it("cuts each input's data out of the header and counts its elements, flat or nested", () => {
    const text =
      '{"id":"r","inputs":[{"name":"a","data":[[1,2],[3,4]],"shape":[2,2]},' +
      '{"data":"only","name":"b"},{"name":"c","data":[]},{"name":"d"}],' +
      '"outputs":[{"name":"data","data":[9]}]}';
    const scanned = scan(text);
    expect(dataTexts(text, scanned)).toEqual({
      0: ['[[1,2],[3,4]]', 4],
      1: ['"only"', 1],
      2: ['[]', 0],
    });
    expect(JSON.parse(scanned.header)).toEqual({
      id: 'r',
      inputs: [
        { name: 'a', data: null, shape: [2, 2] },
        { data: null, name: 'b' },
        { name: 'c', data: null },
        { name: 'd' },
      ],
      // Only inputs' data is cut out.
      outputs: [{ name: 'data', data: [9] }],
    });
  });

  it('counts strings with escapes, commas and brackets inside as one element each', () => {
    const text = String.raw`{"inputs":[{"name":"t","data":["a,b", "[\"]\\", "\u00e9"]}]}`;
    expect(dataTexts(text, scan(text))[0][1]).toBe(3);
  });

  it('reads keys as JSON.parse does: escaped, repeated (the last wins)', () => {
    const text =
      '{"inputs":[{"name":"x","data":[1]}],"in\\u0070uts":[{"n\\u0061me":"y","d\\u0061ta":[1,2],"data":[3]}]}';
    const scanned = scan(text);
    expect(dataTexts(text, scanned)).toEqual({ 0: ['[3]', 1] });
    expect(JSON.parse(scanned.header)).toEqual({ inputs: [{ name: 'y', data: null }] });
  });

  it('bounds the nesting of data, naming the input', () => {
    const deep = `${'['.repeat(MAX_DATA_NESTING + 1)}0${']'.repeat(MAX_DATA_NESTING + 1)}`;
    expect(() => scan(`{"inputs":[{"name":"images","data":${deep}}]}`)).toThrow(
      "input 'images': data nests arrays more than 64 deep",
    );
    const deepest = `${'['.repeat(MAX_DATA_NESTING)}0${']'.repeat(MAX_DATA_NESTING)}`;
    expect(scan(`{"inputs":[{"name":"images","data":${deepest}}]}`).data.get(0)?.elements).toBe(1);
  });

  it('refuses an object as a data element at once, without reading it', () => {
    const object = `${'{"a":'.repeat(10_000)}0${'}'.repeat(10_000)}`;
    expect(() => scan(`{"inputs":[{"data":[1,${object}]}]}`)).toThrow(
      'inputs[0]: data element 1 is an object; tensor elements are numbers, booleans or strings',
    );
  });

  it('refuses a header over the limit as soon as it passes it', () => {
    const text = `{"id":"${'x'.repeat(200_000)}","inputs":[]}`;
    expect(() => scan(text, 64 * 1024)).toThrow(
      /outside the inputs' data arrays is over the 65536-byte limit/,
    );
    // Data does not count.
    const data = `{"inputs":[{"name":"a","data":[${'0,'.repeat(100_000)}0]}]}`;
    expect(scan(data, 1024).data.get(0)?.elements).toBe(100_001);
  });

  it('refuses absurdly long numbers', () => {
    expect(() => scan(`{"inputs":[{"data":[${'1'.repeat(300)}]}]}`)).toThrow(
      'a number of 300 characters (at most 256 are accepted)',
    );
  });

  it('accepts exactly the texts JSON.parse accepts (random and damaged JSON)', () => {
    const damaged = fc
      .tuple(
        fc.json(),
        fc.nat(),
        fc.constantFrom('', ',', ']', '}', '"', '\\', ':', '-', '0', ' ', '\u0001', 'e'),
      )
      .map(([json, at, insert]) => {
        const cut = at % (json.length + 1);
        return json.slice(0, cut) + insert + json.slice(cut + (at % 2));
      });
    const inRequest = fc.json().map((json) => `{"inputs":[{"name":"n","data":${json}}]}`);
    fc.assert(
      fc.property(fc.oneof(fc.json(), damaged, inRequest), (text) => {
        let parsed = true;
        try {
          JSON.parse(text);
        } catch {
          parsed = false;
        }
        let scanned = true;
        try {
          scan(text);
        } catch (error) {
          // Well-formed JSON this request cannot be (an object or deep nesting as data) is not a
          // syntax error.
          if (!/not valid JSON/.test((error as Error).message)) return;
          scanned = false;
        }
        expect({ text, scanned }).toEqual({ text, scanned: parsed });
      }),
      { numRuns: 2000 },
    );
  });
});
