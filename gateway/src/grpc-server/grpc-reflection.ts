import { toBinary } from '@bufbuild/protobuf';
import type { GenFile } from '@bufbuild/protobuf/codegenv2';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type { Server } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/**
 * Server reflection (grpcurl, Postman, grpcui) from the descriptors protobuf-es generated, so the
 * running server describes exactly the contracts it was compiled with and needs no .proto files;
 * grpc.health.v1 from the .proto grpc-health-check serves, so `grpcurl list` shows it too.
 */
export function addReflection(server: Server, files: readonly GenFile[]): void {
  const fileDescriptorProtos = files.map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
  );
  // @grpc/reflection reads only `fileDescriptorProtos` from each entry of a package definition.
  const definition = {
    ...loadSync(healthProtoPath),
    gateway: { fileDescriptorProtos },
  } as unknown as PackageDefinition;
  new ReflectionService(definition).addToServer(server);
}
