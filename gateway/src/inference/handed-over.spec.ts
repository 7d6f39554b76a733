import { giveBack, handOver, movableBuffer, spareCount, zeroedFloat32 } from './handed-over';

describe('handed-over tensor buffers', () => {
  it('lets a backend move only a typed array that spans a whole buffer its owner handed over', () => {
    const whole = new Float32Array(8);
    expect(movableBuffer(whole)).toBeUndefined(); // not handed over: copied as before
    expect(movableBuffer(handOver(whole))).toBe(whole.buffer);

    const body = new Float32Array(16);
    const view = handOver(body.subarray(4, 12)); // a view into a larger buffer (a request body)
    expect(movableBuffer(view)).toBeUndefined();
    expect(movableBuffer(handOver(new Float32Array(new SharedArrayBuffer(32))))).toBeUndefined();
    expect(movableBuffer('not a tensor')).toBeUndefined();
  });

  it('hands out given-back buffers zeroed, of the right size only, and a new one when none is spare', () => {
    const length = 1000; // a size no other test gives back
    const given = new Float32Array(length).fill(7);
    giveBack(given.buffer);
    const reused = zeroedFloat32(length);
    expect(reused.buffer).toBe(given.buffer);
    expect(reused.every((value) => value === 0)).toBe(true);
    const fresh = zeroedFloat32(length);
    expect(fresh.buffer).not.toBe(given.buffer);
    expect(zeroedFloat32(length + 1).length).toBe(length + 1);
  });

  it('keeps at most four spare buffers of one size', () => {
    const length = 1001;
    const given = Array.from({ length: 6 }, () => new Float32Array(length));
    for (const array of given) giveBack(array.buffer);
    expect(spareCount(length * 4)).toBe(4);
    const taken = Array.from({ length: 6 }, () => zeroedFloat32(length).buffer);
    const reused = taken.filter((buffer) => given.some((array) => array.buffer === buffer));
    expect(reused).toHaveLength(4);
  });
});
