import { BatchLoader, RequestScoped } from './batch-loader';

describe('BatchLoader', () => {
  it('loads the keys asked for in one round of promise jobs with one call, each key once', async () => {
    const calls: string[][] = [];
    const loader = new BatchLoader<string, number | null>((keys) => {
      calls.push([...keys]);
      return Promise.resolve(
        new Map(keys.filter((key) => key !== 'missing').map((key) => [key, key.length])),
      );
    }, null);
    // As Nest's resolver pipeline does: each load behind a few awaits of its own.
    const delayed = async (key: string, hops: number): Promise<number | null> => {
      for (let i = 0; i < hops; i += 1) await Promise.resolve();
      return loader.load(key);
    };
    const values = await Promise.all([
      delayed('a', 0),
      delayed('bb', 3),
      delayed('a', 5),
      delayed('missing', 1),
    ]);
    expect(values).toEqual([1, 2, 1, null]);
    expect(calls).toEqual([['a', 'missing', 'bb']]);
    // A later round is a new batch; known keys are not loaded again.
    expect(await Promise.all([loader.load('a'), loader.load('ccc')])).toEqual([1, 3]);
    expect(calls).toEqual([['a', 'missing', 'bb'], ['ccc']]);
  });

  it('rejects every key of a batch whose load failed', async () => {
    const loader = new BatchLoader<string, number>(() => Promise.reject(new Error('down')), 0);
    await expect(Promise.all([loader.load('a'), loader.load('b')])).rejects.toThrow('down');
  });
});

describe('RequestScoped', () => {
  it('keeps one value per request context', () => {
    let created = 0;
    const scoped = new RequestScoped(() => ({ id: (created += 1) }));
    const first = {};
    const second = {};
    expect(scoped.for(first)).toBe(scoped.for(first));
    expect(scoped.for(second).id).toBe(2);
  });
});
