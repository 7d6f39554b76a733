import { ACCESS, authorize, isPublic } from './access-policy';
import { hasScope, isScope, type Caller } from '@auth';

const caller = (...scopes: string[]): Caller => ({ tenant: 't', subject: 'key:abc', scopes });

function refusal(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toMatchObject({ kind: 'permission_denied' });
    return (error as Error).message;
  }
}

describe('access policies', () => {
  it('are public only for probes, and for metrics when configured so', () => {
    expect(isPublic(ACCESS.public, false)).toBe(true);
    expect(isPublic(ACCESS.metrics, false)).toBe(false);
    expect(isPublic(ACCESS.metrics, true)).toBe(true);
    for (const policy of [ACCESS.authenticated, ACCESS.admin, ACCESS.model, ACCESS.anyModel]) {
      expect(isPublic(policy, true)).toBe(false);
    }
  });

  it('let infer:<model>, infer:* and admin run a model, nothing else', () => {
    for (const scopes of [['infer:nanodet'], ['infer:*'], ['admin']]) {
      expect(refusal(() => authorize(caller(...scopes), ACCESS.model, 'nanodet'))).toBeUndefined();
    }
    expect(
      refusal(() => authorize(caller('infer:yolo', 'metrics:read'), ACCESS.model, 'nanodet')),
    ).toBe(
      "permission denied: this needs scope 'infer:nanodet' (or 'infer:*'); key:abc of tenant 't' has infer:yolo metrics:read",
    );
    expect(refusal(() => authorize(caller(), ACCESS.model, 'nanodet'))).toMatch(/has no scopes$/);
  });

  it('need some infer scope for a stream or a request that names no model', () => {
    expect(refusal(() => authorize(caller('infer:yolo'), ACCESS.anyModel))).toBeUndefined();
    expect(refusal(() => authorize(caller('infer:yolo'), ACCESS.model, ''))).toBeUndefined();
    expect(refusal(() => authorize(caller('metrics:read'), ACCESS.anyModel))).toMatch(
      /needs scope 'infer:<any model>'/,
    );
  });

  it('keep metrics:read and admin apart; admin may do everything', () => {
    expect(refusal(() => authorize(caller('metrics:read'), ACCESS.metrics))).toBeUndefined();
    expect(refusal(() => authorize(caller('metrics:read'), ACCESS.admin))).toMatch(
      /needs scope 'admin'/,
    );
    expect(refusal(() => authorize(caller('infer:*'), ACCESS.metrics))).toMatch(/'metrics:read'/);
    expect(refusal(() => authorize(caller('admin'), ACCESS.metrics))).toBeUndefined();
    expect(refusal(() => authorize(caller(), ACCESS.authenticated))).toBeUndefined();
    expect(hasScope(caller('admin'), 'metrics:read')).toBe(true);
  });

  it('know which scopes exist', () => {
    for (const scope of [
      'infer:nanodet',
      'infer:*',
      'infer:yolo_v8.onnx-2',
      'metrics:read',
      'admin',
    ]) {
      expect(isScope(scope)).toBe(true);
    }
    for (const scope of [
      'infer:',
      'infer:a b',
      'infer:**',
      'metrics',
      'root',
      'Admin',
      'infer:-x',
    ]) {
      expect(isScope(scope)).toBe(false);
    }
  });
});
