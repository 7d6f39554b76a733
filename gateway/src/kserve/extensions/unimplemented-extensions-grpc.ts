import type { ImplementationOf } from '@contracts/grpc/service-definition';
import type { GRPCInferenceService } from '@contracts/generated/inference/grpc_service_pb';
import { unaryHandler } from '../../grpc-server/grpc-handlers';
import type { GatewayMetrics } from '../../metrics/gateway-metrics';
import { extensionNotImplemented, type UnimplementedExtension } from './unimplemented-extensions';

type KServeImplementation = ImplementationOf<typeof GRPCInferenceService>;

/** gRPC method (local name) → the extension it belongs to; the REST twins are in the controller. */
const METHODS = {
  systemSharedMemoryStatus: 'system_shared_memory',
  systemSharedMemoryRegister: 'system_shared_memory',
  systemSharedMemoryUnregister: 'system_shared_memory',
  cudaSharedMemoryStatus: 'cuda_shared_memory',
  cudaSharedMemoryRegister: 'cuda_shared_memory',
  cudaSharedMemoryUnregister: 'cuda_shared_memory',
  traceSetting: 'trace',
  logSettings: 'logging',
} as const satisfies Partial<Record<keyof KServeImplementation, UnimplementedExtension>>;

type Method = keyof typeof METHODS;

/**
 * Handlers for the KServe gRPC methods of unimplemented extensions: each answers UNIMPLEMENTED with
 * the message its REST route gives (after authentication, timed like every call).
 */
export function unimplementedExtensionHandlers(
  metrics: GatewayMetrics,
): Pick<KServeImplementation, Method> {
  const handler = (method: Method) =>
    unaryHandler(metrics, `inference.GRPCInferenceService/${upperFirst(method)}`, () => {
      throw extensionNotImplemented(METHODS[method]);
    });
  return {
    systemSharedMemoryStatus: handler('systemSharedMemoryStatus'),
    systemSharedMemoryRegister: handler('systemSharedMemoryRegister'),
    systemSharedMemoryUnregister: handler('systemSharedMemoryUnregister'),
    cudaSharedMemoryStatus: handler('cudaSharedMemoryStatus'),
    cudaSharedMemoryRegister: handler('cudaSharedMemoryRegister'),
    cudaSharedMemoryUnregister: handler('cudaSharedMemoryUnregister'),
    traceSetting: handler('traceSetting'),
    logSettings: handler('logSettings'),
  };
}

function upperFirst(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
