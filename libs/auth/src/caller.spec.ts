import { hasRole, hasScope, isScope, type Caller } from './caller';

const caller = (...scopes: string[]): Caller => ({ tenant: 't', subject: 'key:abc', scopes });

describe('roles', () => {
  it('include the weaker ones: admin ⊇ operator ⊇ viewer', () => {
    expect(hasRole(caller('viewer'), 'viewer')).toBe(true);
    expect(hasRole(caller('viewer'), 'operator')).toBe(false);
    expect(hasRole(caller('operator'), 'viewer')).toBe(true);
    expect(hasRole(caller('operator'), 'admin')).toBe(false);
    expect(hasRole(caller('admin'), 'operator')).toBe(true);
    expect(hasScope(caller('operator'), 'viewer')).toBe(true);
    expect(hasScope(caller('viewer'), 'operator')).toBe(false);
  });

  it('grant nothing on the gateway but admin, and gateway scopes grant no role', () => {
    expect(hasScope(caller('operator'), 'infer:nanodet')).toBe(false);
    expect(hasScope(caller('viewer'), 'metrics:read')).toBe(false);
    expect(hasRole(caller('infer:*', 'metrics:read'), 'viewer')).toBe(false);
  });

  it('are scopes a key can carry', () => {
    for (const role of ['viewer', 'operator', 'admin']) expect(isScope(role)).toBe(true);
    for (const other of ['Viewer', 'operators', 'role:viewer']) expect(isScope(other)).toBe(false);
  });
});
