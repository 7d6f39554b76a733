import {
  fromBinary,
  type DescMessage,
  type DescService,
  type MessageShape,
} from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type {
  handleBidiStreamingCall,
  handleClientStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
  MethodDefinition,
  ServiceDefinition,
} from '@grpc/grpc-js';
import { bulkBytesEncoder } from './bulk-bytes-encoder';

/**
 * A request whose bytes are not a valid protobuf message. grpc-js answers INTERNAL when a
 * deserializer throws; decoding to this value instead lets the handler answer INVALID_ARGUMENT.
 */
export class MalformedMessage {
  constructor(
    readonly typeName: string,
    readonly reason: string,
  ) {}
}

type In<M extends GenServiceMethods[string]> = MessageShape<M['input']>;
type Out<M extends GenServiceMethods[string]> = MessageShape<M['output']>;
type Req<M extends GenServiceMethods[string]> = In<M> | MalformedMessage;

/** The grpc-js handler type of every method of a protobuf-es service, keyed by local name. */
export type ServerImplementation<S extends GenServiceMethods> = {
  [K in keyof S]: S[K]['methodKind'] extends 'unary'
    ? handleUnaryCall<Req<S[K]>, Out<S[K]>>
    : S[K]['methodKind'] extends 'server_streaming'
      ? handleServerStreamingCall<Req<S[K]>, Out<S[K]>>
      : S[K]['methodKind'] extends 'client_streaming'
        ? handleClientStreamingCall<Req<S[K]>, Out<S[K]>>
        : handleBidiStreamingCall<Req<S[K]>, Out<S[K]>>;
};

function decodeLeniently(schema: DescMessage, bytes: Buffer): unknown {
  try {
    return fromBinary(schema, bytes);
  } catch (error) {
    return new MalformedMessage(schema.typeName, (error as Error).message);
  }
}

function definition(service: DescService, lenientRequests: boolean): ServiceDefinition {
  const methods: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const kind = method.methodKind;
    methods[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.localName,
      requestStream: kind === 'client_streaming' || kind === 'bidi_streaming',
      responseStream: kind === 'server_streaming' || kind === 'bidi_streaming',
      requestSerialize: bulkBytesEncoder(method.input) as (message: unknown) => Buffer,
      requestDeserialize: (bytes: Buffer) =>
        lenientRequests ? decodeLeniently(method.input, bytes) : fromBinary(method.input, bytes),
      responseSerialize: bulkBytesEncoder(method.output) as (message: unknown) => Buffer,
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
    };
  }
  return methods;
}

/** Service definition for a grpc-js server: malformed requests arrive as MalformedMessage. */
export function serverDefinition<S extends GenServiceMethods>(
  service: GenService<S>,
): ServiceDefinition {
  return definition(service, true);
}

/** Service definition for a grpc-js client (`makeClientConstructor`). */
export function clientDefinition<S extends GenServiceMethods>(
  service: GenService<S>,
): ServiceDefinition {
  return definition(service, false);
}

/** The server implementation type of a generated service constant (`typeof SomeService`). */
export type ImplementationOf<T> = T extends GenService<infer S> ? ServerImplementation<S> : never;
