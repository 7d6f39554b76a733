import {
  ServerInterceptingCall,
  type Metadata,
  type ServerInterceptor,
  type StatusObject,
} from '@grpc/grpc-js';
import { toServiceError } from '../../grpc-server/grpc-errors';
import { isPublic } from '../access-policy';
import { permissionDenied } from '../auth-errors';
import type { Authenticator } from '../authenticator';
import { presentedCredential } from '@auth';
import { setGrpcCaller } from './grpc-caller';
import { GRPC_METHOD_ACCESS } from './grpc-method-access';

/** Told of every call refused (route without its leading slash, seconds taken). */
export type RefusalObserver = (route: string, seconds: number) => void;

/**
 * Authenticates each call on its metadata, before its message is read: grpc-js starts reading a
 * call's stream only once every interceptor has passed the metadata on, so a call refused here
 * (UNAUTHENTICATED; PERMISSION_DENIED for a method without an access policy) never has its message
 * read, and until the answer its stream holds at most its flow-control window. Public methods pass
 * untouched. Authorisation by model needs the decoded request: GuardedServer does it in the handler.
 */
export function authenticationInterceptor(
  authenticator: Authenticator,
  observeRefusal: RefusalObserver,
): ServerInterceptor {
  return (method, call) => {
    const access = GRPC_METHOD_ACCESS[method.path];
    if (access && isPublic(access.policy, false)) return new ServerInterceptingCall(call);
    const started = process.hrtime.bigint();
    const authenticate = async (metadata: Metadata, peer: string): Promise<void> => {
      const caller = await authenticator.authenticate(credentialOf(metadata), peer);
      if (!access) {
        throw permissionDenied(`${method.path} declares no access policy, so nobody may call it`);
      }
      setGrpcCaller(metadata, caller);
    };
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, accept) => {
            authenticate(metadata, call.getPeer()).then(
              () => accept(metadata),
              (error: unknown) => {
                observeRefusal(
                  method.path.replace(/^\//, ''),
                  Number(process.hrtime.bigint() - started) / 1e9,
                );
                call.sendStatus(statusOf(error));
              },
            );
          },
        }),
    });
  };
}

function credentialOf(metadata: Metadata) {
  return presentedCredential(strings(metadata, 'x-api-key'), strings(metadata, 'authorization'));
}

function strings(metadata: Metadata, key: string): string[] {
  return metadata.get(key).filter((value): value is string => typeof value === 'string');
}

function statusOf(error: unknown): StatusObject {
  const { code, details, metadata } = toServiceError(error);
  return { code, details, metadata };
}
