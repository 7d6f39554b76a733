import { CameraTopology } from './camera-topology';

describe('CameraTopology', () => {
  const topology = new CameraTopology({
    links: [
      { from: 'lobby', to: 'lobby-wide', minTransitMs: 0, maxTransitMs: 2000 },
      { from: 'lobby', to: 'car-park', minTransitMs: 20_000, maxTransitMs: 120_000 },
      { from: 'car-park', to: 'exit', minTransitMs: 5000, maxTransitMs: 30_000, directed: true },
    ],
    sameCamera: { minTransitMs: 0, maxTransitMs: 3000 },
  });

  it('links cameras both ways unless the link is directed', () => {
    expect(topology.window('car-park', 'lobby')).toEqual({
      minTransitMs: 20_000,
      maxTransitMs: 120_000,
    });
    expect(topology.window('car-park', 'exit')).toBeDefined();
    expect(topology.window('exit', 'car-park')).toBeUndefined();
    expect(topology.window('lobby', 'exit')).toBeUndefined();
  });

  it('accepts a transit only inside the window', () => {
    expect(topology.allows('lobby', 0, 'car-park', 19_999)).toBe(false);
    expect(topology.allows('lobby', 0, 'car-park', 20_000)).toBe(true);
    expect(topology.allows('lobby', 0, 'car-park', 120_000)).toBe(true);
    expect(topology.allows('lobby', 0, 'car-park', 120_001)).toBe(false);
    expect(topology.allows('lobby', 0, 'exit', 10_000)).toBe(false);
  });

  it('lets overlapping views see a person at the same time, even with the other frame newer', () => {
    expect(topology.allows('lobby', 1000, 'lobby-wide', 1000)).toBe(true);
    expect(topology.allows('lobby', 1040, 'lobby-wide', 1000)).toBe(true);
    expect(topology.allows('car-park', 1040, 'lobby', 1000)).toBe(false);
  });

  it('lets a camera find a person it lost again within the same-camera window', () => {
    expect(topology.allows('exit', 0, 'exit', 3000)).toBe(true);
    expect(topology.allows('exit', 0, 'exit', 3001)).toBe(false);
    expect(new CameraTopology({ links: [] }).allows('a', 0, 'a', 10_000)).toBe(true);
  });

  it('names a bad link', () => {
    expect(
      () =>
        new CameraTopology({ links: [{ from: 'a', to: 'b', minTransitMs: 5, maxTransitMs: 1 }] }),
    ).toThrow(/link a -> b/);
    expect(
      () =>
        new CameraTopology({ links: [{ from: 'a', to: 'a', minTransitMs: 0, maxTransitMs: 1 }] }),
    ).toThrow(/sameCamera/);
    expect(
      () =>
        new CameraTopology({ links: [], sameCamera: { minTransitMs: 0, maxTransitMs: Infinity } }),
    ).toThrow(/sameCamera/);
  });
});
