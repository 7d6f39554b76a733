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
import { grpcCaller } from './grpc-caller';
import { authenticationInterceptor, type RefusalObserver } from './grpc-authentication';
import { GRPC_METHOD_ACCESS } from './grpc-method-access';

type AnyMethod = MethodDefinition<unknown, unknown>;
type Call = { metadata: Metadata; request?: unknown; emit(event: 'error', error: unknown): void };
type Callback = (error: unknown) => void;

/**
 * A grpc-js server whose every service (ours, grpc-health-check's, reflection's) is guarded: each
 * call is authenticated on its metadata by an interceptor before its message is read (after any
 * interceptors in `options`), then authorised by its method's entry in GRPC_METHOD_ACCESS as its
 * handler starts (model methods by the model the decoded request names). Streams are authorised at
 * their start.
 */
export class GuardedServer extends Server {
  private readonly guarded: AnyMethod[] = [];

  constructor(
    options: ServerOptions,
    authenticator: Authenticator,
    // Refused calls never reach a handler, which is where calls are otherwise timed.
    private readonly observeRefusal: RefusalObserver = () => undefined,
  ) {
    super({
      ...options,
      interceptors: [
        ...(options.interceptors ?? []),
        authenticationInterceptor(authenticator, observeRefusal),
      ],
    });
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
    const route = method.path.replace(/^\//, '');
    return ((call: Call, callback?: Callback) => {
      const started = process.hrtime.bigint();
      try {
        // Authentication refused such a call already; this keeps the handler closed regardless.
        if (!access) throw permissionDenied(`${method.path} declares no access policy`);
        const request = method.requestStream ? undefined : call.request;
        authorize(grpcCaller(call), access.policy, modelOf(request, access.modelField));
      } catch (error) {
        this.observeRefusal(route, Number(process.hrtime.bigint() - started) / 1e9);
        fail(method, call, callback, error);
        return;
      }
      try {
        (invoke as (call: Call, callback?: Callback) => void)(call, callback);
      } catch (error) {
        fail(method, call, callback, error);
      }
    }) as UntypedHandleCall;
  }
}

function fail(method: AnyMethod, call: Call, callback: Callback | undefined, error: unknown): void {
  const serviceError = toServiceError(error);
  if (!method.responseStream && callback) callback(serviceError);
  else call.emit('error', serviceError);
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
