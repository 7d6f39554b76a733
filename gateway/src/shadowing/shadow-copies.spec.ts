import { plainBackend, plainModelMetadata } from '../../test/model-metadata-fixture';
import type { AdmitStage } from '../admission/admit.stage';
import { CallStatistics } from '../call-statistics/call-statistics';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import type { CallContext } from '../request-path/call-context';
import type { AdmittedCall, CallWork } from '../request-path/call-work';
import { ShadowCopies } from './shadow-copies';

const backend = plainBackend(plainModelMetadata(['1', '2', '3']));
const call: CallContext = {
  caller: { tenant: 't', subject: 'key:t', scopes: [] },
  priority: 'realtime',
  images: 1,
};
const box = (x: number) => ({ x1: x, y1: 0, x2: x + 10, y2: 10, classId: 0, score: 0.9 });
const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Work whose shadow runs until the test releases it, answering with one box at `x`. */
function heldWork(x = 0) {
  const started: AdmittedCall[] = [];
  const release: (() => void)[] = [];
  const work: CallWork<{ boxes: ReturnType<typeof box>[] }> = {
    precheck: () => undefined,
    run: () => Promise.resolve({ boxes: [box(0)] }),
    shadow: (admitted) => {
      started.push(admitted);
      return new Promise((resolve) => release.push(() => resolve({ boxes: [box(x)] })));
    },
    detectionsOf: (answer) => answer.boxes,
  };
  return { work, started, release };
}

function setup(maxInFlight: number, queued = 0) {
  const statistics = new CallStatistics(new GatewayMetrics());
  const admit = { admissionOf: () => ({ queuedCount: queued }) } as unknown as AdmitStage;
  const shadows = new ShadowCopies({ maxInFlight, timeoutMs: 1000 }, backend, admit, statistics);
  return { statistics, shadows };
}

const answered = (work: CallWork<{ boxes: ReturnType<typeof box>[] }>, versions: string[]) => ({
  call,
  target: backend.resolve('m', '1'),
  shadows: versions.map((version) => ({ version })),
  work,
  answer: { boxes: [box(0)] },
});

describe('ShadowCopies', () => {
  it('starts copies after the primary answer, as bulk calls of the shadow version, and compares them', async () => {
    const { statistics, shadows } = setup(4);
    const { work, started, release } = heldWork(50);
    shadows.copy(answered(work, ['2']));
    // Nothing starts in the primary's own continuation.
    expect(started).toHaveLength(0);
    await flush();
    expect(started).toHaveLength(1);
    expect(started[0].target.version).toBe('2');
    expect(started[0].call.priority).toBe('bulk');
    release[0]();
    await flush();
    const [comparison] = statistics.drain()!.comparisons;
    expect(comparison).toMatchObject({ shadowVersion: '2', compared: 1n, matched: 0n });
    expect(shadows.running).toBe(0);
  });

  it('drops copies beyond its budget instead of queueing them', async () => {
    const { statistics, shadows } = setup(1);
    const { work, started } = heldWork();
    shadows.copy(answered(work, ['2', '3']));
    await flush();
    expect(started).toHaveLength(1);
    const dropped = statistics
      .drain()!
      .comparisons.find(({ shadowVersion }) => shadowVersion === '3');
    expect(dropped?.shadowDropped).toBe(1n);
  });

  it('drops every copy while the copied version has calls waiting for admission', async () => {
    const { statistics, shadows } = setup(4, 2);
    const { work, started } = heldWork();
    shadows.copy(answered(work, ['2']));
    await flush();
    expect(started).toHaveLength(0);
    expect(statistics.drain()!.comparisons[0].shadowDropped).toBe(1n);
  });

  it('counts a failing copy and an unserved shadow version, and never throws', async () => {
    const { statistics, shadows } = setup(4);
    const work: CallWork<{ boxes: [] }> = {
      precheck: () => undefined,
      run: () => Promise.resolve({ boxes: [] }),
      shadow: () => Promise.reject(new Error('backend down')),
    };
    shadows.copy({
      call,
      target: backend.resolve('m', '1'),
      shadows: [{ version: '2' }, { version: '9' }],
      work,
      answer: { boxes: [] },
    });
    await flush();
    await flush();
    const comparisons = statistics.drain()!.comparisons;
    const errors = comparisons.map(({ shadowVersion, shadowErrors }) => [
      shadowVersion,
      shadowErrors,
    ]);
    expect(errors.sort()).toEqual([
      ['2', 1n],
      ['9', 1n],
    ]);
  });
});
