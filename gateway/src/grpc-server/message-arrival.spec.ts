import { EventEmitter } from 'node:events';
import type { Http2Stream } from 'node:http2';
import { watchMessageArrival } from './message-arrival';

/** What the watcher uses of an http2 stream: its data, and whether it is being read. */
class FakeStream extends EventEmitter {
  private paused = false;
  isPaused(): boolean {
    return this.paused;
  }
  pause(): void {
    this.paused = true;
    this.emit('pause');
  }
  resume(): void {
    this.paused = false;
    this.emit('resume');
  }
}

const frame = (length: number): Buffer => {
  const bytes = Buffer.alloc(5 + length);
  bytes.writeUInt32BE(length, 1);
  return bytes;
};

describe('watchMessageArrival', () => {
  let stream: FakeStream;
  let late: jest.Mock;
  let stop: () => void;

  beforeEach(() => {
    jest.useFakeTimers();
    stream = new FakeStream();
    late = jest.fn();
    stop = watchMessageArrival(stream as unknown as Http2Stream, 1000, late);
  });
  afterEach(() => {
    stop();
    jest.useRealTimers();
  });

  it('says nothing of whole messages, however they are split, nor of a quiet stream', () => {
    const two = Buffer.concat([frame(10), frame(0), frame(3)]);
    stream.emit('data', two.subarray(0, 3));
    jest.advanceTimersByTime(900);
    stream.emit('data', two.subarray(3));
    jest.advanceTimersByTime(5000);
    expect(late).not.toHaveBeenCalled();
  });

  it('calls a message begun and not arrived whole within the timeout late', () => {
    stream.emit('data', frame(100).subarray(0, 50));
    jest.advanceTimersByTime(999);
    expect(late).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(late).toHaveBeenCalledTimes(1);
  });

  it('times each message from its own start', () => {
    const first = frame(10);
    const second = frame(10);
    stream.emit('data', first.subarray(0, 8));
    jest.advanceTimersByTime(800);
    // The first completes and the second begins in one chunk: the clock restarts.
    stream.emit('data', Buffer.concat([first.subarray(8), second.subarray(0, 4)]));
    jest.advanceTimersByTime(800);
    expect(late).not.toHaveBeenCalled();
    jest.advanceTimersByTime(200);
    expect(late).toHaveBeenCalledTimes(1);
  });

  it('stops the clock while the stream is not read: the wait is then the reader’s', () => {
    stream.emit('data', frame(100).subarray(0, 50));
    stream.pause();
    jest.advanceTimersByTime(10_000);
    expect(late).not.toHaveBeenCalled();
    stream.resume();
    jest.advanceTimersByTime(1000);
    expect(late).toHaveBeenCalledTimes(1);
  });

  it('stops watching when told', () => {
    stream.emit('data', frame(100).subarray(0, 50));
    stop();
    jest.advanceTimersByTime(5000);
    expect(late).not.toHaveBeenCalled();
  });
});
