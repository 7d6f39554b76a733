import { Logger } from '@nestjs/common';
import type { BackendTopology } from '../request-path/backend-topology';
import type { ModelMetadata } from '../request-path/inference-backend';
import { ModelAdmissionPolicies } from './model-admission-policy';

const defaults = {
  defaultTimeoutMs: 30_000,
  maxInFlightPerModel: 32,
  maxQueuePerModel: 128,
  limit: 'adaptive' as const,
};
const learnt = { adaptive: true, queueTarget: 'service', minInFlight: 1 };
const embedded: BackendTopology = {
  healthyEndpoints: 1,
  instancesPerEndpoint: 1,
  remote: false,
  batchesItself: false,
};
const policyOf = (policies: ModelAdmissionPolicies, metadata: ModelMetadata) =>
  policies.read(metadata).at(embedded);
const model = (parameters: Record<string, string>) =>
  ({ name: 'm', parameters }) as unknown as ModelMetadata;

describe('ModelAdmissionPolicies', () => {
  it('uses the gateway defaults for a model without gateway.* parameters', () => {
    expect(policyOf(new ModelAdmissionPolicies(defaults), model({}))).toEqual({
      timeoutMs: 30_000,
      maxInFlight: 32,
      maxQueue: 128,
      ...learnt,
    });
    const fixed = { ...defaults, limit: 'fixed' as const, queueTargetMs: 0 };
    expect(policyOf(new ModelAdmissionPolicies(fixed), model({}))).toMatchObject({
      adaptive: false,
      queueTarget: undefined,
    });
  });

  it('by default admits one batch per model instance and healthy endpoint, two in front of Triton', () => {
    const batching = { name: 'm', parameters: {}, maxBatchSize: 8 } as unknown as ModelMetadata;
    const auto = { ...defaults, maxInFlightPerModel: 0 };
    const policy = new ModelAdmissionPolicies(auto).read(batching);
    const twoInstances = { ...embedded, instancesPerEndpoint: 2 };
    expect(policy.at(twoInstances).maxInFlight).toBe(16);
    const triton = { ...twoInstances, healthyEndpoints: 3, remote: true };
    expect(policy.at(triton)).toMatchObject({ maxInFlight: 96, minInFlight: 12 });
    // An endpoint going down lowers the bounds; the same policy object while they stay the same.
    const oneDown = { ...triton, healthyEndpoints: 2 };
    expect(policy.at(oneDown)).toMatchObject({ maxInFlight: 64, minInFlight: 8 });
    expect(policy.at(oneDown)).toBe(policy.at({ ...oneDown }));
    const unbatched = new ModelAdmissionPolicies(auto).read({ ...batching, maxBatchSize: 0 });
    expect(unbatched.at(twoInstances).maxInFlight).toBe(2);
  });

  it("reads the model's own gateway.timeout_ms, max_in_flight, max_queue and queue_target_ms", () => {
    const policy = policyOf(
      new ModelAdmissionPolicies(defaults),
      model({
        'gateway.timeout_ms': '500',
        'gateway.max_in_flight': '4',
        'gateway.max_queue': '0',
        'gateway.queue_target_ms': '25',
      }),
    );
    expect(policy).toEqual({
      timeoutMs: 500,
      maxInFlight: 4,
      maxQueue: 0,
      adaptive: true,
      queueTarget: 25,
      minInFlight: 1,
    });
  });

  it('keeps the default for a malformed parameter and says so in the log', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const policy = policyOf(
        new ModelAdmissionPolicies(defaults),
        model({ 'gateway.max_in_flight': '0', 'gateway.timeout_ms': 'fast' }),
      );
      expect(policy).toEqual({ timeoutMs: 30_000, maxInFlight: 32, maxQueue: 128, ...learnt });
      expect(warn.mock.calls.map(([message]) => String(message))).toEqual([
        expect.stringContaining("gateway.timeout_ms 'fast' is not an integer"),
        expect.stringContaining("gateway.max_in_flight '0' is not an integer"),
      ]);
    } finally {
      warn.mockRestore();
    }
  });
});
