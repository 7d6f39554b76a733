import { DropReason } from '@contracts/generated/vision/v1/streams_pb';
import { FrameQueue, type BackpressurePolicyName } from './frame-queue';

function queueOf(policy: BackpressurePolicyName, capacity: number) {
  const drops: [number, DropReason][] = [];
  const queue = new FrameQueue<number>(policy, capacity, (item, reason) =>
    drops.push([item, reason]),
  );
  return { queue, drops };
}

describe('FrameQueue', () => {
  it('latest keeps only the newest waiting frame and reports each replaced one', () => {
    const { queue, drops } = queueOf('latest', 1);
    for (let seq = 1; seq <= 5; seq += 1) queue.push(seq);
    expect(queue.length).toBe(1);
    expect(queue.shift()).toBe(5);
    expect(drops).toEqual([1, 2, 3, 4].map((seq) => [seq, DropReason.REPLACED]));
  });

  it('drop-oldest keeps the newest `capacity` frames in order', () => {
    const { queue, drops } = queueOf('drop-oldest', 3);
    for (let seq = 1; seq <= 6; seq += 1) queue.push(seq);
    expect([queue.shift(), queue.shift(), queue.shift(), queue.shift()]).toEqual([
      4,
      5,
      6,
      undefined,
    ]);
    expect(drops.map(([seq]) => seq)).toEqual([1, 2, 3]);
    expect(drops.every(([, reason]) => reason === DropReason.QUEUE_FULL)).toBe(true);
  });

  it('block says when it is full but keeps the frames read before reading stopped', () => {
    const { queue, drops } = queueOf('block', 2);
    queue.push(1);
    expect(queue.full).toBe(false);
    queue.push(2);
    expect(queue.full).toBe(true);
    for (let seq = 3; seq <= 10; seq += 1) queue.push(seq);
    expect(queue.length).toBe(10);
    expect(drops).toEqual([]);
  });

  it('block stays bounded even if frames keep coming', () => {
    const { queue, drops } = queueOf('block', 2);
    for (let seq = 1; seq <= 1000; seq += 1) queue.push(seq);
    expect(queue.length).toBe(18);
    expect(drops).toHaveLength(982);
  });

  it('drain hands every waiting frame over with the reason', () => {
    const { queue, drops } = queueOf('drop-oldest', 4);
    queue.push(1);
    queue.push(2);
    queue.drain(DropReason.DEADLINE);
    expect(queue.length).toBe(0);
    expect(drops).toEqual([
      [1, DropReason.DEADLINE],
      [2, DropReason.DEADLINE],
    ]);
  });
});
