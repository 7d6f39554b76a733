import { parsePriority } from './priority';

describe('parsePriority', () => {
  it('is realtime unless the caller says bulk', () => {
    expect(parsePriority([], 'header')).toBe('realtime');
    expect(parsePriority(['bulk'], 'header')).toBe('bulk');
    expect(parsePriority([' Realtime '], 'metadata')).toBe('realtime');
  });

  it.each([
    [['urgent'], 'header', "header 'x-priority' must be 'realtime' or 'bulk' (got 'urgent')"],
    [[''], 'metadata', "metadata 'x-priority' must be 'realtime' or 'bulk' (got '')"],
    [['bulk', 'bulk'], 'header', "header 'x-priority' must be 'realtime' or 'bulk' (got 2 values)"],
  ] as const)('refuses %j in a %s with 400 naming it', (values, where, message) => {
    expect(() => parsePriority(values, where)).toThrow(message);
  });
});
