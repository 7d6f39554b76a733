import { ReadinessWatch } from './readiness-watch';

describe('ReadinessWatch', () => {
  it('reports the state at start and then each change, not every poll', () => {
    let ready = false;
    const reports: boolean[] = [];
    const watch = new ReadinessWatch(
      () => ready,
      60_000,
      (state) => reports.push(state),
    );
    watch.start();
    watch.check();
    ready = true;
    watch.check();
    watch.check();
    ready = false;
    watch.check();
    watch.stop();
    expect(reports).toEqual([false, true, false]);
  });

  it('treats a backend that throws while asked as not ready', () => {
    const reports: boolean[] = [];
    const watch = new ReadinessWatch(
      () => {
        throw new Error('no idea');
      },
      60_000,
      (state) => reports.push(state),
    );
    watch.check();
    expect(reports).toEqual([false]);
  });

  it('polls on its own at the interval', async () => {
    let ready = false;
    const reports: boolean[] = [];
    const watch = new ReadinessWatch(
      () => ready,
      20,
      (state) => reports.push(state),
    );
    watch.start();
    ready = true;
    try {
      const until = Date.now() + 5000;
      while (reports.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(reports).toEqual([false, true]);
    } finally {
      watch.stop();
    }
  });
});
