import fc from 'fast-check';
import { BoundedFrameQueue, type QueueOptions, type VideoFrame } from './bounded-frame-queue';

function frame(seq: number, bytes = 10): VideoFrame {
  return { seq, captureTimeMs: 0, image: Buffer.alloc(bytes) };
}

function seqs(queue: BoundedFrameQueue): number[] {
  const taken: number[] = [];
  for (let next = queue.poll(); next; next = queue.poll()) taken.push(next.seq);
  return taken;
}

describe('BoundedFrameQueue', () => {
  it('latest keeps only the newest waiting frame', () => {
    const drops: string[] = [];
    const queue = new BoundedFrameQueue({ policy: 'latest' }, { onDrop: (r) => drops.push(r) });
    for (let seq = 0; seq < 5; seq++) queue.offer(frame(seq));
    expect(queue.capacity).toBe(1);
    expect(seqs(queue)).toEqual([4]);
    expect(drops).toEqual(['superseded', 'superseded', 'superseded', 'superseded']);
    expect(queue.stats()).toMatchObject({ offered: 5, delivered: 1, queuedFrames: 0 });
  });

  it('drop-oldest keeps the newest `capacity` frames and counts the evicted', () => {
    const queue = new BoundedFrameQueue({ policy: 'drop-oldest', capacity: 3 });
    for (let seq = 0; seq < 10; seq++) queue.offer(frame(seq, 100));
    expect(queue.stats()).toMatchObject({
      queuedFrames: 3,
      queuedBytes: 300,
      peakQueuedBytes: 300,
      dropped: { evicted: 7, superseded: 0 },
    });
    expect(seqs(queue)).toEqual([7, 8, 9]);
  });

  it('block reports no room when full and calls onRoom once a frame is taken', () => {
    const onRoom = jest.fn();
    const queue = new BoundedFrameQueue({ policy: 'block', capacity: 2 }, { onRoom });
    queue.offer(frame(0));
    expect(queue.hasRoom).toBe(true);
    queue.offer(frame(1));
    expect(queue.hasRoom).toBe(false);
    expect(queue.poll()?.seq).toBe(0);
    expect(onRoom).toHaveBeenCalledTimes(1);
    // Offered while full (the source is late to pause): still bounded, and counted.
    queue.offer(frame(2));
    queue.offer(frame(3));
    expect(queue.stats()).toMatchObject({ queuedFrames: 2, dropped: { evicted: 1 } });
  });

  it('hands a frame straight to a consumer already waiting', async () => {
    const queue = new BoundedFrameQueue({ policy: 'latest' });
    const waiting = queue.take();
    queue.offer(frame(7));
    await expect(waiting).resolves.toEqual(frame(7));
    expect(queue.stats()).toMatchObject({ offered: 1, delivered: 1, queuedFrames: 0 });
  });

  it('end() lets the consumer drain what waits, then reports the end', async () => {
    const queue = new BoundedFrameQueue({ policy: 'drop-oldest', capacity: 4 });
    queue.offer(frame(0));
    queue.offer(frame(1));
    queue.end();
    queue.offer(frame(2));
    const taken: number[] = [];
    for await (const next of queue) taken.push(next.seq);
    expect(taken).toEqual([0, 1]);
  });

  it('close() releases waiting frames, wakes waiting consumers and tells the source', async () => {
    const onClose = jest.fn();
    const queue = new BoundedFrameQueue({ policy: 'drop-oldest', capacity: 4 }, { onClose });
    const waiting = queue.take();
    queue.close();
    await expect(waiting).resolves.toBeUndefined();
    queue.offer(frame(1));
    expect(queue.stats()).toMatchObject({ queuedFrames: 0, queuedBytes: 0 });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('breaking out of for-await closes the queue', async () => {
    const onClose = jest.fn();
    const queue = new BoundedFrameQueue({ policy: 'drop-oldest', capacity: 4 }, { onClose });
    queue.offer(frame(0));
    queue.offer(frame(1));
    for await (const next of queue) {
      expect(next.seq).toBe(0);
      break;
    }
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(queue.isOpen).toBe(false);
  });

  it.each([0, 1.5, 1025, Number.NaN])('refuses capacity %p', (capacity) => {
    expect(() => new BoundedFrameQueue({ policy: 'block', capacity })).toThrow(RangeError);
  });

  it('stays bounded and accounts for every frame, whatever the consumer does', () => {
    const options = fc.oneof(
      fc.constant<QueueOptions>({ policy: 'latest' }),
      fc.record({
        policy: fc.constantFrom<'drop-oldest' | 'block'>('drop-oldest', 'block'),
        capacity: fc.integer({ min: 1, max: 8 }),
      }),
    );
    const steps = fc.array(fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constant('poll')), {
      maxLength: 300,
    });
    fc.assert(
      fc.property(options, steps, (queueOptions, script) => {
        const queue = new BoundedFrameQueue(queueOptions);
        let seq = 0;
        const maxBytes = 5000 * queue.capacity;
        for (const step of script) {
          if (step === 'poll') queue.poll();
          else queue.offer(frame(seq++, step));
          const stats = queue.stats();
          expect(stats.queuedFrames).toBeLessThanOrEqual(queue.capacity);
          expect(stats.peakQueuedBytes).toBeLessThanOrEqual(maxBytes);
          const dropped = stats.dropped.evicted + stats.dropped.superseded;
          expect(stats.offered).toBe(stats.delivered + stats.queuedFrames + dropped);
        }
        const order = seqs(queue);
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }),
    );
  });
});
