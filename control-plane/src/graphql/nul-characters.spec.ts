import { parse } from 'graphql';
import { refuseNulCharacters } from './nul-characters';

const check = (query: string, variables?: Record<string, unknown>): void =>
  refuseNulCharacters(undefined, parse(query), undefined, variables);

describe('refuseNulCharacters', () => {
  it.each([
    ['a variable', '{ models { name } }', { n: 'a\u0000' }],
    ['a list in a variable', '{ models { name } }', { n: [{ deep: ['x', '\u0000'] }] }],
    ['a literal', '{ model(name: "a\\u0000") { id } }', undefined],
    ['a block string', '{ model(name: """a\u0000""") { id } }', undefined],
  ])('refuses U+0000 in %s', (_, query, variables) => {
    expect(() => check(query, variables)).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }) as Error,
    );
  });

  it('walks variables nested deeper than the call stack would allow', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(() => check('{ models { name } }', { deep })).toThrow('contains a NUL character');
  });

  it('lets other strings through', () => {
    expect(() =>
      check('{ model(name: "nanodet") { id } }', { n: ['ok', { x: 'é' }] }),
    ).not.toThrow();
  });
});
