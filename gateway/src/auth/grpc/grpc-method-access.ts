import { ACCESS, type AccessPolicy } from '../access-policy';

/** A gRPC method's access policy, and which request field names the model for `model` policies. */
export interface GrpcMethodAccess {
  policy: AccessPolicy;
  modelField?: string;
}

const kserve = (method: string): string => `/inference.GRPCInferenceService/${method}`;

/**
 * Who may call each gRPC method, by full path. A method missing here is refused for everyone
 * (fail closed) and fails the route audit test: a new service or method must be added here.
 */
export const GRPC_METHOD_ACCESS: Readonly<Record<string, GrpcMethodAccess>> = {
  '/grpc.health.v1.Health/Check': { policy: ACCESS.public },
  '/grpc.health.v1.Health/Watch': { policy: ACCESS.public },
  '/grpc.health.v1.Health/List': { policy: ACCESS.public },
  // The gRPC twins of /v2/health/live and /v2/health/ready: probes, like them public.
  [kserve('ServerLive')]: { policy: ACCESS.public },
  [kserve('ServerReady')]: { policy: ACCESS.public },
  [kserve('ServerMetadata')]: { policy: ACCESS.authenticated },
  [kserve('ModelReady')]: { policy: ACCESS.model, modelField: 'name' },
  [kserve('ModelMetadata')]: { policy: ACCESS.model, modelField: 'name' },
  [kserve('ModelConfig')]: { policy: ACCESS.model, modelField: 'name' },
  // An empty name lists every model: some infer scope, and only the models the caller may call.
  [kserve('ModelStatistics')]: { policy: ACCESS.model, modelField: 'name' },
  [kserve('ModelInfer')]: { policy: ACCESS.model, modelField: 'modelName' },
  // Each message names its model; the request path's authorize stage checks each one.
  [kserve('ModelStreamInfer')]: { policy: ACCESS.anyModel },
  [kserve('RepositoryIndex')]: { policy: ACCESS.admin },
  [kserve('RepositoryModelLoad')]: { policy: ACCESS.admin },
  [kserve('RepositoryModelUnload')]: { policy: ACCESS.admin },
  // Unimplemented extensions (kserve/extensions/): any caller may learn they answer UNIMPLEMENTED.
  [kserve('SystemSharedMemoryStatus')]: { policy: ACCESS.authenticated },
  [kserve('SystemSharedMemoryRegister')]: { policy: ACCESS.authenticated },
  [kserve('SystemSharedMemoryUnregister')]: { policy: ACCESS.authenticated },
  [kserve('CudaSharedMemoryStatus')]: { policy: ACCESS.authenticated },
  [kserve('CudaSharedMemoryRegister')]: { policy: ACCESS.authenticated },
  [kserve('CudaSharedMemoryUnregister')]: { policy: ACCESS.authenticated },
  [kserve('TraceSetting')]: { policy: ACCESS.authenticated },
  [kserve('LogSettings')]: { policy: ACCESS.authenticated },
  '/vision.v1.VisionService/Detect': { policy: ACCESS.model, modelField: 'model' },
  // The stream's config (first frame) names its model; the authorize stage checks every frame.
  '/vision.v1.StreamService/StreamTrack': { policy: ACCESS.anyModel },
  '/vision.v1.StreamService/AddSource': { policy: ACCESS.admin },
  '/vision.v1.StreamService/RemoveSource': { policy: ACCESS.admin },
  '/vision.v1.StreamService/ListSources': { policy: ACCESS.admin },
  '/vision.v1.StreamService/WatchSource': { policy: ACCESS.admin },
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo': { policy: ACCESS.authenticated },
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo': {
    policy: ACCESS.authenticated,
  },
};
