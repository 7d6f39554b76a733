import { runAtOnce } from '../event-loop/sliced-work';
import { BytesTensorData } from './bytes-tensor-data';

const text = (words: string[]): Uint8Array[] => words.map((word) => new TextEncoder().encode(word));
const fromWire = (raw: Uint8Array, count: number): BytesTensorData =>
  runAtOnce(BytesTensorData.fromWire("input 't'", raw, count));

describe('BytesTensorData', () => {
  it('holds elements in their wire form, one buffer for the tensor', () => {
    const data = BytesTensorData.of(text(['ab', '', 'c']));
    expect(data.length).toBe(3);
    expect(data.contentBytes).toBe(3);
    expect(Array.from(data.raw)).toEqual([2, 0, 0, 0, 97, 98, 0, 0, 0, 0, 1, 0, 0, 0, 99]);
    expect([...data.elements()]).toEqual(text(['ab', '', 'c']));
    expect(fromWire(data.raw, 3)).toEqual(data);
  });

  it('checks the framing of wire bytes against the count its shape needs', () => {
    const raw = BytesTensorData.of(text(['ab', 'c'])).raw;
    expect(() => fromWire(raw, 3)).toThrow(
      "input 't': its shape needs 3 BYTES elements, but 11 bytes hold at most 2",
    );
    expect(() => fromWire(raw, 1)).toThrow(
      "input 't': 5 bytes follow the 1 BYTES elements its shape holds",
    );
    expect(() => fromWire(raw.subarray(0, 10), 2)).toThrow(
      "input 't': BYTES element 1 overruns the data",
    );
    // A count past what the bytes can hold is refused before anything is walked.
    const started = performance.now();
    expect(() => fromWire(new Uint8Array(64), 2 ** 40)).toThrow(/at most 16/);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('splits and concatenates by element counts, sharing memory when splitting', () => {
    const data = BytesTensorData.of(text(['a', 'bb', '', 'ccc']));
    const [first, second] = data.split([3, 1]);
    expect([...first.elements()]).toEqual(text(['a', 'bb', '']));
    expect([...second.elements()]).toEqual(text(['ccc']));
    expect(second.raw.buffer).toBe(data.raw.buffer);
    expect(BytesTensorData.concat([first, second])).toEqual(data);
  });

  it('builds a tensor element by element within the bytes reserved', () => {
    const writer = BytesTensorData.writer(20);
    writer.push(text(['x'])[0]);
    writer.pushText('é');
    expect([...writer.finish().elements()]).toEqual(text(['x', 'é']));
    expect(() => BytesTensorData.writer(4).push(Uint8Array.of(1))).toThrow(RangeError);
  });
});
