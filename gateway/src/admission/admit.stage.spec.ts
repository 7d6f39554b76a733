import { plainBackend, plainModelMetadata } from '../../test/model-metadata-fixture';
import { loadGatewayConfig } from '../config/gateway-config';
import { GatewayError } from '../errors/gateway-error';
import type { CallContext } from '../request-path/call-context';
import type { ResolvedTarget } from '../request-path/resolved-target';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import type { AdmittedCall } from '../request-path/call-work';
import { ServedVersions } from '../serving/served-versions';
import { AdmitStage } from './admit.stage';

const metadata = plainModelMetadata();

const target: ResolvedTarget = { model: 'm', version: '1', metadata };

/** Work the test finishes by hand, recording whether it started and the receipt it ran under. */
function heldWork() {
  const state: { started: boolean; admitted?: AdmittedCall; finish: () => void } = {
    started: false,
    finish: () => undefined,
  };
  const work = (admitted: AdmittedCall) => {
    state.started = true;
    state.admitted = admitted;
    return new Promise<string>((resolve) => {
      state.finish = () => resolve('done');
    });
  };
  return { state, work };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AdmitStage: a call admitted as a whole, its work holding the slot', () => {
  let stage: AdmitStage;
  const call: CallContext = {
    caller: { tenant: 't', subject: 'key:t', scopes: ['infer:m'] },
    priority: 'bulk',
    images: 1,
  };
  const guarded = () => ({ call, ask: { model: 'm', version: '1' }, target });

  beforeEach(() => {
    const config = loadGatewayConfig({
      GATEWAY_MAX_IN_FLIGHT_PER_MODEL: '1',
      GATEWAY_MAX_QUEUE_PER_MODEL: '0',
      GATEWAY_DEFAULT_TIMEOUT_MS: '100',
    });
    const backend = plainBackend(metadata);
    stage = new AdmitStage(
      config.admission,
      new GatewayMetrics(),
      new ServedVersions(backend),
      backend,
    );
  });

  it('holds the slot for all of the work: a call arriving meanwhile is refused before its work starts', async () => {
    const first = heldWork();
    const firstDone = stage.run(guarded(), first.work);
    await sleep(0);
    expect(first.state.started).toBe(true);

    const second = heldWork();
    await expect(stage.run(guarded(), second.work)).rejects.toMatchObject({
      kind: 'resource_exhausted',
      hints: { retryAfterMs: expect.any(Number) },
    });
    expect(second.state.started).toBe(false);

    first.state.finish();
    await expect(firstDone).resolves.toBe('done');
    expect(stage.admissionOf('m', '1')?.inFlightCount).toBe(0);
  });

  it("answers 504 at the model's default deadline and aborts the work's signal; the slot stays taken until the work ends", async () => {
    const held = heldWork();
    const before = Date.now();
    const outcome = stage.run({ ...guarded(), call: { ...call, priority: 'realtime' } }, held.work);
    await sleep(0);
    expect(held.state.admitted?.deadline).toBeGreaterThanOrEqual(before + 100);

    const error = await outcome.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ kind: 'deadline_exceeded' });
    expect(held.state.admitted?.signal.aborted).toBe(true);
    expect(stage.admissionOf('m', '1')?.inFlightCount).toBe(1);

    held.state.finish();
    await sleep(0);
    expect(stage.admissionOf('m', '1')?.inFlightCount).toBe(0);
  });
});
