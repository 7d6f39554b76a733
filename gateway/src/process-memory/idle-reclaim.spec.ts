import { IdleReclaim, RECLAIM_GROWTH_BYTES, type ReclaimProbe } from './idle-reclaim';

const MIB = 1024 * 1024;

/** A process whose busy share and RSS the test sets; a collection brings RSS back to `freedTo`. */
function fakeProcess(start: number) {
  const state = { busyShare: 0, rss: start, freedTo: start, collections: 0 };
  const probe: ReclaimProbe = {
    busyShare: () => state.busyShare,
    rssBytes: () => state.rss,
    collect: () => {
      state.collections += 1;
      state.rss = state.freedTo;
      return Promise.resolve();
    },
  };
  return { state, probe };
}

describe('IdleReclaim', () => {
  it('collects once the gateway is idle after RSS grew, and not again until it grows again', async () => {
    const { state, probe } = fakeProcess(300 * MIB);
    const reclaim = new IdleReclaim(probe);
    state.busyShare = 0.6;
    state.rss = 900 * MIB; // a burst
    expect(await reclaim.check()).toBe(false); // still busy
    state.busyShare = 0.001;
    expect(await reclaim.check()).toBe(true);
    expect(state).toMatchObject({ rss: 300 * MIB, collections: 1 });
    expect(await reclaim.check()).toBe(false); // nothing new to give back
    state.rss += RECLAIM_GROWTH_BYTES - 1;
    expect(await reclaim.check()).toBe(false);
    state.rss += 1;
    expect(await reclaim.check()).toBe(true);
    expect(state.collections).toBe(2);
  });

  it('measures growth from the lowest RSS seen, so what V8 gave back itself is not counted', async () => {
    const { state, probe } = fakeProcess(500 * MIB);
    const reclaim = new IdleReclaim(probe);
    state.rss = 400 * MIB;
    expect(await reclaim.check()).toBe(false);
    state.rss = 400 * MIB + RECLAIM_GROWTH_BYTES;
    state.freedTo = 400 * MIB;
    expect(await reclaim.check()).toBe(true);
  });

  it('does not collect while the event loop is busy, whatever RSS does', async () => {
    const { state, probe } = fakeProcess(300 * MIB);
    const reclaim = new IdleReclaim(probe);
    state.busyShare = 0.02;
    state.rss = 2000 * MIB;
    expect(await reclaim.check()).toBe(false);
    expect(state.collections).toBe(0);
  });

  it('runs one collection at a time', async () => {
    const { state, probe } = fakeProcess(300 * MIB);
    let finish: () => void = () => undefined;
    probe.collect = () => {
      state.collections += 1;
      return new Promise((resolve) => {
        finish = resolve;
      });
    };
    const reclaim = new IdleReclaim(probe);
    state.rss = 900 * MIB;
    const first = reclaim.check();
    expect(await reclaim.check()).toBe(false);
    finish();
    expect(await first).toBe(true);
    expect(state.collections).toBe(1);
  });
});
