import { AdmitStage } from '../admission/admit.stage';
import { plainBackend, plainModelMetadata } from '../../test/model-metadata-fixture';
import { loadGatewayConfig } from '../config/gateway-config';
import type { CallContext } from '../request-path/call-context';
import type { InferRequest, InferResponse } from '../request-path/inference-backend';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { RateLimitStage } from '../rate-limits/rate-limit.stage';
import { createRateLimitService } from '../rate-limits/rate-limits.module';
import { ServedVersions } from '../serving/served-versions';
import { CallStatistics } from '../call-statistics/call-statistics';
import { ShadowCopies } from '../shadowing/shadow-copies';
import { ModelStatisticsRecorder } from '../model-statistics/model-statistics.recorder';
import { CallPipeline } from './call-pipeline';
import type { AdmittedCall, CallWork } from '../request-path/call-work';

const metadata = plainModelMetadata(['1', '2']);

const backend = plainBackend(metadata);

const call: CallContext = {
  caller: { tenant: 't', subject: 'key:t', scopes: ['infer:m'] },
  priority: 'realtime',
  images: 1,
};

/** Tensor-call-shaped work the test finishes by hand, keeping the receipt it ran under. */
function heldWork(request: InferRequest) {
  const state: { admitted?: AdmittedCall; finish: () => void; prechecked: number } = {
    finish: () => undefined,
    prechecked: 0,
  };
  const work: CallWork<InferResponse> = {
    precheck: () => void (state.prechecked += 1),
    run: (admitted) => {
      state.admitted = admitted;
      return new Promise((resolve) => {
        state.finish = () => resolve({ model: 'm', version: admitted.target.version, outputs: [] });
      });
    },
  };
  return { state, work, ask: () => ({ ...request }) };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('CallPipeline', () => {
  let pipeline: CallPipeline;
  beforeEach(() => {
    const config = loadGatewayConfig({
      GATEWAY_MAX_IN_FLIGHT_PER_MODEL: '4',
      GATEWAY_MAX_QUEUE_PER_MODEL: '4',
      GATEWAY_ADMISSION_LIMIT: 'fixed',
      GATEWAY_DEFAULT_TIMEOUT_MS: '60000',
    });
    const metrics = new GatewayMetrics();
    const versions = new ServedVersions(backend);
    const admit = new AdmitStage(config.admission, metrics, versions, backend);
    const statistics = new CallStatistics(metrics);
    pipeline = new CallPipeline(
      backend,
      new RateLimitStage(createRateLimitService(config, metrics, null)),
      admit,
      statistics,
      new ShadowCopies(config.shadows, backend, admit, statistics),
      new ModelStatisticsRecorder(versions),
      metrics,
    );
  });

  it('runs the guards in one list, then the work', () => {
    expect(pipeline.stageNames).toEqual([
      'authorize',
      'rate-limit',
      'route',
      'precheck',
      'admit',
      'work',
    ]);
  });

  it('routes and admits without writing into the request: a copy cancelled leaves the other running', async () => {
    const caller = new AbortController();
    const request: InferRequest = {
      model: 'm',
      version: '',
      inputs: [],
      outputs: [],
      signal: caller.signal,
    };
    const frozen = Object.freeze({ ...request });
    // The copy a shadow would send: the same request, a signal of its own.
    const shadow = new AbortController();
    const copy: InferRequest = { ...request, signal: shadow.signal };

    const original = heldWork(frozen);
    const mirrored = heldWork(copy);
    const timings: Record<string, number> = {};
    const originalDone = pipeline.run(call, original.ask(), original.work, timings);
    const mirroredDone = pipeline.run(call, mirrored.ask(), mirrored.work);
    await flush();

    // Routed to the newest version; the receipt says so, the request still asks for ''.
    expect(original.state.admitted?.target.version).toBe('2');
    expect(frozen.version).toBe('');
    expect(original.state.prechecked).toBe(1);
    expect(Object.keys(timings)).toEqual(['authorize', 'rate-limit', 'route', 'precheck', 'admit']);

    caller.abort();
    await expect(originalDone).rejects.toMatchObject({ kind: 'cancelled' });
    expect(original.state.admitted?.signal.aborted).toBe(true);
    expect(mirrored.state.admitted?.signal.aborted).toBe(false);

    mirrored.state.finish();
    await expect(mirroredDone).resolves.toMatchObject({ version: '2' });
    original.state.finish();
  });

  it('refuses an unknown version at route, before the precheck or a slot', async () => {
    const held = heldWork({ model: 'm', version: '7', inputs: [], outputs: [] });
    await expect(pipeline.run(call, held.ask(), held.work)).rejects.toMatchObject({
      kind: 'not_found',
    });
    expect(held.state.prechecked).toBe(0);
    expect(held.state.admitted).toBeUndefined();
  });
});
