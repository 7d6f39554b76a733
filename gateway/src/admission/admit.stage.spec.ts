import { loadGatewayConfig } from '../config/gateway-config';
import { GatewayError } from '../errors/gateway-error';
import type { CallContext } from '../inference/call-context';
import type {
  InferenceBackend,
  InferRequest,
  InferResponse,
  ModelMetadata,
} from '../inference/inference-backend';
import type { ResolvedTarget } from '../inference/resolved-target';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { AdmitStage } from './admit.stage';

const metadata = {
  name: 'm',
  versions: ['1'],
  platform: 'onnxruntime_onnx',
  inputs: [],
  outputs: [],
  maxBatchSize: 0,
  parameters: {},
  config: {},
} as unknown as ModelMetadata;

const target: ResolvedTarget = { model: 'm', version: '1', metadata };

const response: InferResponse = { model: 'm', version: '1', outputs: [] };

/** Work the test finishes by hand, recording whether it started and the signal it ran under. */
function heldWork(request: { signal?: AbortSignal }) {
  const state: { started: boolean; signal?: AbortSignal; finish: () => void } = {
    started: false,
    finish: () => undefined,
  };
  const work = () => {
    state.started = true;
    state.signal = request.signal;
    return new Promise<string>((resolve) => {
      state.finish = () => resolve('done');
    });
  };
  return { state, work };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AdmitStage: a front door admitting a call as a whole (the vision path)', () => {
  let stage: AdmitStage;
  const request = (): Pick<InferRequest, 'model' | 'version' | 'deadline' | 'signal'> => ({
    model: 'm',
    version: '1',
  });

  beforeEach(() => {
    const config = loadGatewayConfig({
      GATEWAY_MAX_IN_FLIGHT_PER_MODEL: '1',
      GATEWAY_MAX_QUEUE_PER_MODEL: '0',
      GATEWAY_DEFAULT_TIMEOUT_MS: '100',
    });
    stage = new AdmitStage(config, new GatewayMetrics());
  });

  it('holds the slot for all of the work: a call arriving meanwhile is refused before its work starts', async () => {
    const first = heldWork(request());
    const firstDone = stage.runAdmitted(request(), target, 'bulk', first.work);
    await sleep(0);
    expect(first.state.started).toBe(true);

    const second = heldWork(request());
    await expect(stage.runAdmitted(request(), target, 'bulk', second.work)).rejects.toMatchObject({
      kind: 'resource_exhausted',
      hints: { retryAfterMs: expect.any(Number) },
    });
    expect(second.state.started).toBe(false);

    first.state.finish();
    await expect(firstDone).resolves.toBe('done');
    expect(stage.admissionOf('m', '1')?.inFlightCount).toBe(0);
  });

  it("answers 504 at the model's default deadline and aborts the work's signal; the slot stays taken until the work ends", async () => {
    const admitted = request();
    const held = heldWork(admitted);
    const before = Date.now();
    const outcome = stage.runAdmitted(admitted, target, 'realtime', held.work);
    expect(admitted.deadline).toBeGreaterThanOrEqual(before + 100);

    const error = await outcome.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ kind: 'deadline_exceeded' });
    expect(held.state.signal?.aborted).toBe(true);
    expect(stage.admissionOf('m', '1')?.inFlightCount).toBe(1);

    held.state.finish();
    await sleep(0);
    expect(stage.admissionOf('m', '1')?.inFlightCount).toBe(0);
  });

  it('passes a call its front door already admitted straight on, even with every slot taken', async () => {
    const holder = heldWork(request());
    const holding = stage.runAdmitted(request(), target, 'bulk', holder.work);
    await sleep(0);

    const call: CallContext = {
      caller: { tenant: 't', subject: 'key:t', scopes: ['infer:m'] },
      priority: 'bulk',
      images: 1,
      admitted: true,
    };
    const next = jest.fn(() => Promise.resolve(response));
    await expect(
      stage.handle(
        {
          request: { ...request(), inputs: [], outputs: [] },
          call,
          target,
          backend: {} as InferenceBackend,
        },
        next,
      ),
    ).resolves.toBe(response);
    expect(next).toHaveBeenCalledTimes(1);
    expect(stage.admissionOf('m', '1')?.inFlightCount).toBe(1);

    holder.state.finish();
    await holding;
  });
});
