import { compareVersionNames } from './model-version-order';

describe('compareVersionNames', () => {
  it('orders numeric versions by value and other names after them', () => {
    expect(['10', 'beta', '2', '1', 'alpha', '9'].sort(compareVersionNames)).toEqual([
      '1',
      '2',
      '9',
      '10',
      'alpha',
      'beta',
    ]);
  });
});
