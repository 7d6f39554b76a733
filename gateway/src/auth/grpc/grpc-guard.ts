import {
  Metadata,
  Server,
  status,
  type MethodDefinition,
  type ServerOptions,
  type ServiceDefinition,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { toServiceError } from '../../grpc-server/grpc-errors';
import { authorize, isPublic } from '../access-policy';
import { permissionDenied } from '../auth-errors';
import type { Authenticator } from '../authenticator';
import { presentedCredential } from '../credentials';
import { setGrpcCaller } from './grpc-caller';
import { GRPC_METHOD_ACCESS, type GrpcMethodAccess } from './grpc-method-access';

type AnyMethod = MethodDefinition<unknown, unknown>;
type Call = { metadata: Metadata; request?: unknown; emit(event: 'error', error: unknown): void };
type Callback = (error: unknown) => void;

/** Told of every call the guard refuses (route without its leading slash, seconds taken). */
export type RefusalObserver = (route: string, seconds: number) => void;

/**
 * A grpc-js server whose every service (ours, grpc-health-check's, reflection's) is guarded: each
 * method authenticates from metadata before anything else, then is authorised by its entry in
 * GRPC_METHOD_ACCESS (model methods once the request naming the model is decoded). Streams are
 * authenticated at their start.
 */
export class GuardedServer extends Server {
  private readonly guarded: AnyMethod[] = [];

  constructor(
    options: ServerOptions,
    private readonly authenticator: Authenticator,
    // Refused calls never reach a handler, which is where calls are otherwise timed.
    private readonly observeRefusal: RefusalObserver = () => undefined,
  ) {
    super(options);
  }

  override addService(
    service: ServiceDefinition,
    implementation: UntypedServiceImplementation,
  ): void {
    const guarded: UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(service) as [string, AnyMethod][]) {
      const handler =
        implementation[name] ??
        (method.originalName === undefined ? undefined : implementation[method.originalName]);
      guarded[name] = this.guard(
        method,
        handler?.bind(implementation) as UntypedHandleCall | undefined,
      );
    }
    super.addService(service, guarded);
    this.guarded.push(...(Object.values(service) as AnyMethod[]));
  }

  /** Every method of every service added, for the route audit. */
  get methods(): readonly MethodDefinition<unknown, unknown>[] {
    return this.guarded;
  }

  private guard(method: AnyMethod, handler: UntypedHandleCall | undefined): UntypedHandleCall {
    const access = GRPC_METHOD_ACCESS[method.path];
    const invoke = handler ?? unimplemented(method);
    if (access && isPublic(access.policy, false)) return invoke;
    const unary = !method.requestStream;
    const route = method.path.replace(/^\//, '');
    return ((call: Call, callback?: Callback) => {
      const started = process.hrtime.bigint();
      const fail = (error: unknown): void => {
        const serviceError = toServiceError(error);
        if (!method.responseStream && callback) callback(serviceError);
        else call.emit('error', serviceError);
      };
      const refuse = (error: unknown): void => {
        this.observeRefusal(route, Number(process.hrtime.bigint() - started) / 1e9);
        fail(error);
      };
      this.check(method.path, access, call, unary ? call.request : undefined).then(() => {
        try {
          (invoke as (call: Call, callback?: Callback) => void)(call, callback);
        } catch (error) {
          fail(error);
        }
      }, refuse);
    }) as UntypedHandleCall;
  }

  private async check(
    path: string,
    access: GrpcMethodAccess | undefined,
    call: Call,
    request: unknown,
  ): Promise<void> {
    const caller = await this.authenticator.authenticate(
      presentedCredential(
        strings(call.metadata, 'x-api-key'),
        strings(call.metadata, 'authorization'),
      ),
      (call as unknown as { getPeer(): string }).getPeer(),
    );
    setGrpcCaller(call, caller);
    if (!access) throw permissionDenied(`${path} declares no access policy, so nobody may call it`);
    authorize(caller, access.policy, modelOf(request, access.modelField));
  }
}

function strings(metadata: Metadata, key: string): string[] {
  return metadata.get(key).filter((value): value is string => typeof value === 'string');
}

function modelOf(request: unknown, field: string | undefined): string | undefined {
  if (field === undefined || typeof request !== 'object' || request === null) return undefined;
  const value = (request as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

/** What grpc-js would answer for a method without an implementation, after the guard ran. */
function unimplemented(method: AnyMethod): UntypedHandleCall {
  const error = {
    code: status.UNIMPLEMENTED,
    details: `${method.path} is not implemented`,
    metadata: new Metadata(),
  };
  return ((call: Call, callback?: Callback) => {
    if (!method.responseStream && callback) callback(error);
    else call.emit('error', error);
  }) as UntypedHandleCall;
}
