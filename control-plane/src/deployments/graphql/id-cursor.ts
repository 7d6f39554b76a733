import { ControlPlaneFailure } from '../../errors/control-plane-error';
import { decodeCursor } from '../../graphql/relay-connection';

const BIGINT_ID = /^[1-9]\d{0,18}$/;

/** A cursor over a list ordered by a bigint id; one that holds no such id is refused. */
export function decodeIdCursor(kind: string, after: string | null | undefined): string | undefined {
  const id = decodeCursor(kind, after);
  if (id !== undefined && !BIGINT_ID.test(id)) {
    throw new ControlPlaneFailure('BAD_USER_INPUT', 'after is not a cursor of this list', {
      argument: 'after',
    });
  }
  return id;
}
