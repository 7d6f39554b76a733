import { INFERENCE_BACKEND } from '../../src/request-path/inference-backend';
import type { TritonBackend } from '../../src/inference/triton/triton.backend';
import type { TestGateway } from '../test-gateway';

/** The Triton backend of a gateway started with TRITON_GRPC_URLS. */
export function tritonBackendOf(gateway: TestGateway): TritonBackend {
  return gateway.app.get<TritonBackend>(INFERENCE_BACKEND);
}

/** What the gateway knows of one Triton endpoint now: health, calls on the wire, breaker state. */
export function endpointOf(gateway: TestGateway, address: string) {
  const state = tritonBackendOf(gateway)
    .endpointStates()
    .find((endpoint) => endpoint.address === address);
  if (!state) throw new Error(`the gateway has no endpoint ${address}`);
  return state;
}
