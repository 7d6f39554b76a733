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
import type { ModelInferRequest } from '../generated/inference/grpc_service_pb';
import { bulkBytesEncoder } from './bulk-bytes-encoder';
import { rememberWireBytes, type EncodedMessage } from './encoded-message';
import {
  readModelInferRequestHeader,
  type ModelInferRequestHeader,
} from './model-infer-request-header';

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

/**
 * What a server handler receives for a request message: the decoded message, except for
 * ModelInferRequest (its tensor header only: see requestDecoder).
 */
export type ServerRequest<D extends DescMessage> =
  MessageShape<D> extends ModelInferRequest ? ModelInferRequestHeader : MessageShape<D>;

/** What a handler answers: a message, or one already encoded (EncodedMessage). */
type Out<M extends GenServiceMethods[string]> = MessageShape<M['output']> | EncodedMessage;
type Req<M extends GenServiceMethods[string]> = ServerRequest<M['input']> | MalformedMessage;

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

/** Messages a server reads only down to their header: their handlers decode the elements. */
const HEADER_READERS: Record<string, (bytes: Uint8Array) => unknown> = {
  // A 64 MiB ModelInferRequest can hold 33 M tensor elements (an empty bytes_contents entry is 2
  // bytes): decoded whole, before any handler runs, that is 33 M objects. The handler checks the
  // header against the model first, then decodes what the model accepts.
  'inference.ModelInferRequest': readModelInferRequestHeader,
};

/** A server's request decoder: malformed bytes become a MalformedMessage, never a throw. */
function requestDecoder(schema: DescMessage): (bytes: Buffer) => unknown {
  const read = HEADER_READERS[schema.typeName] ?? ((bytes) => fromBinary(schema, bytes));
  return (bytes) => {
    try {
      return read(bytes);
    } catch (error) {
      return new MalformedMessage(schema.typeName, (error as Error).message);
    }
  };
}

/**
 * Responses whose bytes a client keeps with the decoded message (wireBytesOf), to answer with them
 * unchanged: ModelInferResponse, whose tensors are most of its bytes.
 */
const KEPT_RESPONSES = new Set(['inference.ModelInferResponse']);

function clientResponseDecoder(schema: DescMessage): (bytes: Buffer) => unknown {
  if (!KEPT_RESPONSES.has(schema.typeName)) return (bytes) => fromBinary(schema, bytes);
  return (bytes) => rememberWireBytes(fromBinary(schema, bytes), bytes);
}

function definition(service: DescService, forServer: boolean): ServiceDefinition {
  const methods: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const kind = method.methodKind;
    methods[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.localName,
      requestStream: kind === 'client_streaming' || kind === 'bidi_streaming',
      responseStream: kind === 'server_streaming' || kind === 'bidi_streaming',
      requestSerialize: bulkBytesEncoder(method.input) as (message: unknown) => Buffer,
      requestDeserialize: forServer
        ? requestDecoder(method.input)
        : (bytes: Buffer) => fromBinary(method.input, bytes),
      responseSerialize: bulkBytesEncoder(method.output) as (message: unknown) => Buffer,
      responseDeserialize: forServer
        ? (bytes: Buffer) => fromBinary(method.output, bytes)
        : clientResponseDecoder(method.output),
    };
  }
  return methods;
}

/**
 * Service definition for a grpc-js server: malformed requests arrive as MalformedMessage, and
 * ModelInferRequest as its header (ModelInferRequestHeader).
 */
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
