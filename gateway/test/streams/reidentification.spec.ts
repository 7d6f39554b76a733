import type { FrameResult } from '@contracts/generated/vision/v1/streams_pb';
import { startTestGateway } from '../test-gateway';
import { scrapeMetric } from '../prometheus-text';
import { runSplitCameras, type SplitCameraRun } from './split-cameras';

type Embedding = 'model' | 'colour-histogram';
const runs = new Map<string, SplitCameraRun>();

function describeRun(name: string, run: SplitCameraRun): string {
  const { precision, recall, f1, truePositives, falsePositives, falseNegatives } = run.scores;
  const tracks = new Set(run.assignments.map((a) => `${a.cameraId}:${a.trackId}`)).size;
  return `${name}: ${run.samePerson.length} same-person pairs, ${tracks} tracks with a global id; precision ${precision.toFixed(3)} recall ${recall.toFixed(3)} F1 ${f1.toFixed(3)} (tp ${truePositives}, fp ${falsePositives}, fn ${falseNegatives}); reidentify mean ${meanStageMs(run, 'reidentify').toFixed(2)} ms/frame`;
}

function meanStageMs(run: SplitCameraRun, stage: string): number {
  const values = [...run.results.left, ...run.results.right]
    .map((result: FrameResult) => result.timingsMs[stage])
    .filter((ms) => ms !== undefined);
  return values.reduce((sum, ms) => sum + ms, 0) / values.length;
}

/**
 * vtest.avi cut into two overlapping cameras (split-cameras.ts), streamed through a gateway as one
 * tenant: with the appearance model (the default) and with the colour-histogram baseline.
 */
describe.each<Embedding>(['model', 'colour-histogram'])(
  'cross-camera re-identification by %s on vtest.avi cut into two overlapping cameras',
  (embedding) => {
    let gateway: Awaited<ReturnType<typeof startTestGateway>>;

    beforeAll(async () => {
      gateway = await startTestGateway({ GATEWAY_REID_EMBEDDING: embedding });
    });

    afterAll(async () => {
      await gateway?.close();
    });

    it('gives a person seen in the overlap one global id in both cameras', async () => {
      const run = await runSplitCameras(gateway.grpcAddress, { frames: 80 });
      runs.set(`${embedding} aligned`, run);
      console.log(describeRun(`${embedding}, aligned`, run));
      expect(run.samePerson.length).toBeGreaterThan(3);
      // Every track answered after the first seconds has a global id.
      const objects = [...run.results.left, ...run.results.right]
        .filter((result) => result.seq > 20n)
        .flatMap((result) => result.objects);
      expect(objects.filter((object) => object.globalId > 0n).length).toBeGreaterThan(
        objects.length * 0.9,
      );
      if (embedding === 'model') {
        expect(run.scores.precision).toBeGreaterThan(0.75);
        expect(run.scores.recall).toBeGreaterThan(0.6);
      }
      expect(await scrapeMetric(gateway, 'gateway_stream_reid_failures_total')).toBe(0);
    });

    it('follows people into a camera that sees them two seconds later', async () => {
      const run = await runSplitCameras(gateway.grpcAddress, { frames: 80, shiftFrames: 20 });
      runs.set(`${embedding} shifted`, run);
      console.log(describeRun(`${embedding}, right camera 2 s later`, run));
      expect(run.samePerson.length).toBeGreaterThan(3);
      if (embedding === 'model') {
        expect(run.scores.precision).toBeGreaterThan(0.6);
        expect(run.scores.recall).toBeGreaterThan(0.45);
      }
    });
  },
);

describe('the appearance model against the colour-histogram baseline', () => {
  it('finds more of the same-person pairs at no worse precision (it earns its cost)', () => {
    const model = runs.get('model aligned')!.scores;
    const baseline = runs.get('colour-histogram aligned')!.scores;
    expect(model.precision).toBeGreaterThanOrEqual(baseline.precision - 0.05);
    expect(model.recall).toBeGreaterThan(baseline.recall);
  });
});
